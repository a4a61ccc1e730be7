package dev.ember.runtime.repository;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model version's file on disk, located and checked against the repository boundary: {@code path} is the real
 * path (links resolved) that a session is created from, so that ONNX external data resolves beside it.
 * {@code sizeBytes} counts the model file and, once verified, its external data files: what the pool's budget
 * limits. {@code identity} changes whenever the file's content may have (path, size, modification time, inode), so
 * a checksum or scan computed for it is reused only while it stays the same file. {@code facts} are known once the
 * file is verified.
 */
public record ModelFile(Path path, long sizeBytes, List<Path> externalData, Object identity,
        Optional<ModelFacts> facts) {

    public ModelFile {
        externalData = List.copyOf(externalData);
    }

}
