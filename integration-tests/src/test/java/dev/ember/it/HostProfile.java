package dev.ember.it;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The shipped application on a fake host ({@code ember.host.root}): a systemd unit on cgroup v2 whose memory limit
 * is the JVM's max heap plus 2 GiB, two CPUs of quota, THP in madvise mode, swappiness 1 and one GPU device.
 */
public class HostProfile implements QuarkusTestProfile {

    static final long GIB = 1024L * 1024 * 1024;
    /** The limit of the fake unit: what the application's model budget follows. */
    static final long LIMIT = Runtime.getRuntime().maxMemory() + 2 * GIB;

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            Path root = Files.createTempDirectory("ember-host");
            write(root, "proc/self/cgroup", "0::/system.slice/ember.service\n");
            write(root, "proc/self/mountinfo", "29 23 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n");
            write(root, "sys/fs/cgroup/system.slice/ember.service/memory.max", LIMIT + "\n");
            write(root, "sys/fs/cgroup/system.slice/ember.service/cpu.max", "200000 100000\n");
            write(root, "sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
            write(root, "proc/sys/vm/swappiness", "1\n");
            write(root, "dev/nvidia0", "");
            return Map.of("ember.host.root", root.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path root, String path, String content) throws IOException {
        Path file = root.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
