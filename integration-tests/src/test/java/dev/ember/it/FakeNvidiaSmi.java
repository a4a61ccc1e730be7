package dev.ember.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A stand-in for nvidia-smi that answers Ember's query for one GPU, so that the GPU meters exist in tests. */
final class FakeNvidiaSmi {

    private FakeNvidiaSmi() {
    }

    static Path write() {
        try {
            Path script = Files.createTempDirectory("ember-fake-gpu").resolve("nvidia-smi");
            Files.writeString(script, "#!/bin/sh\nprintf '0, NVIDIA H200, 1024, 143771, 37\\n'\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
