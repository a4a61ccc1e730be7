package dev.ember.runtime.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's facts from fake {@code /proc} and {@code /sys} trees: cgroup v2, v1, none, and the rest. */
class HostFactsReaderTest {

    static final long GIB = 1024L * 1024 * 1024;

    @TempDir
    Path root;

    void write(String path, String content) {
        try {
            Path file = root.resolve(path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    HostFacts read() {
        return new HostFactsReader(root, List.of()).read();
    }

    /** A systemd unit on cgroup v2: its limits, and a tighter memory limit on the slice above it. */
    @Test
    void cgroupV2TakesTheSmallestLimitUpToTheMount() {
        write("proc/self/cgroup", "0::/ember.slice/ember.service\n");
        write("proc/self/mountinfo", "24 1 0:22 / /proc rw - proc proc rw\n"
                + "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n");
        write("proc/meminfo", "MemTotal:       65536000 kB\nMemFree:        1000 kB\n");
        write("sys/fs/cgroup/cgroup.controllers", "cpu memory pids\n");
        write("sys/fs/cgroup/ember.slice/memory.max", String.valueOf(3 * GIB) + "\n");
        write("sys/fs/cgroup/ember.slice/cpu.max", "max 100000\n");
        write("sys/fs/cgroup/ember.slice/ember.service/memory.max", String.valueOf(4 * GIB) + "\n");
        write("sys/fs/cgroup/ember.slice/ember.service/cpu.max", "150000 100000\n");

        HostFacts facts = read();
        assertThat(facts.cgroup()).isEqualTo("v2");
        assertThat(facts.memoryLimit()).hasValue(3 * GIB);
        assertThat(facts.cpuQuota()).hasValue(1.5);
        assertThat(facts.hostMemory()).hasValue(65536000L * 1024);
        assertThat(facts.summary()).contains("cgroup v2", "CPU quota 1.50 CPUs", "memory limit 3.00 GiB");
    }

    @Test
    void cgroupV2WithoutLimitsHasNone() {
        write("proc/self/cgroup", "0::/\n");
        write("proc/self/mountinfo", "29 23 0:26 / /sys/fs/cgroup rw shared:4 - cgroup2 cgroup2 rw\n");
        write("sys/fs/cgroup/memory.max", "max\n");
        write("sys/fs/cgroup/cpu.max", "max 100000\n");

        HostFacts facts = read();
        assertThat(facts.cgroup()).isEqualTo("v2");
        assertThat(facts.memoryLimit()).isEmpty();
        assertThat(facts.cpuQuota()).isEmpty();
        assertThat(facts.summary()).contains("CPU quota none", "memory limit none");
    }

    /** A container on cgroup v1: the mount shows the container's own cgroup as its root. */
    @Test
    void cgroupV1InAContainer() {
        write("proc/self/cgroup", "12:memory:/docker/abc\n5:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n");
        write("proc/self/mountinfo",
                "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"
                        + "32 31 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n");
        write("sys/fs/cgroup/memory/memory.limit_in_bytes", String.valueOf(2 * GIB));
        write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "200000\n");
        write("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");

        HostFacts facts = read();
        assertThat(facts.cgroup()).isEqualTo("v1");
        assertThat(facts.memoryLimit()).hasValue(2 * GIB);
        assertThat(facts.cpuQuota()).hasValue(2.0);
    }

    /** What v1 writes for "no limit", and a limit above the machine's memory, limit nothing. */
    @Test
    void cgroupV1UnlimitedValuesAreNoLimit() {
        write("proc/self/cgroup", "4:memory:/process_api/x\n1:cpu:/\n");
        write("proc/self/mountinfo", "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                + "32 31 0:28 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
        write("proc/meminfo", "MemTotal:        4194304 kB\n");
        write("sys/fs/cgroup/memory/process_api/x/memory.limit_in_bytes", "9223372036854771712\n");
        write("sys/fs/cgroup/memory/process_api/memory.limit_in_bytes", String.valueOf(8 * GIB));
        write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
        write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");

        HostFacts facts = read();
        assertThat(facts.memoryLimit()).isEmpty();
        assertThat(facts.cpuQuota()).isEmpty();
    }

    @Test
    void anEmptyTreeIsAllUnknownNotAnError() {
        HostFacts facts = read();
        assertThat(facts.cgroup()).isEqualTo("none");
        assertThat(facts.memoryLimit()).isEmpty();
        assertThat(facts.cpuQuota()).isEmpty();
        assertThat(facts.hugePages()).isEmpty();
        assertThat(facts.swappiness()).isEmpty();
        assertThat(facts.gpus()).isEmpty();
        assertThat(facts.processors()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(facts.summary()).contains("transparent huge pages unknown", "vm.swappiness unknown", "GPUs none");
    }

    @Test
    void hugePagesSwappinessAndGpuDevices() {
        write("sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        write("proc/sys/vm/swappiness", "10\n");
        write("dev/nvidia1", "");
        write("dev/nvidia0", "");
        write("dev/nvidiactl", "");
        write("dev/nvidia-uvm", "");

        HostFacts facts = read();
        assertThat(facts.hugePages()).hasValue("madvise");
        assertThat(facts.swappiness()).hasValue(10);
        assertThat(facts.gpus()).containsExactly("/dev/nvidia0", "/dev/nvidia1");
        assertThat(facts.summary()).contains("transparent huge pages madvise", "vm.swappiness 10",
                "GPUs /dev/nvidia0; /dev/nvidia1");
    }

    @Test
    void nvidiaSmiOnThePathNamesTheGpus(@TempDir Path bin) throws IOException {
        write("dev/nvidia0", "");
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\n[ \"$1\" = -L ] || exit 2\n"
                + "echo 'GPU 0: NVIDIA H200 (UUID: GPU-0a1b)'\necho 'GPU 1: NVIDIA H200 (UUID: GPU-2c3d)'\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));

        HostFacts facts = new HostFactsReader(root, List.of(bin.resolve("missing"), bin)).read();
        assertThat(facts.gpus()).containsExactly("GPU 0: NVIDIA H200 (UUID: GPU-0a1b)",
                "GPU 1: NVIDIA H200 (UUID: GPU-2c3d)");
    }

    @Test
    void aFailingNvidiaSmiFallsBackToTheDevices(@TempDir Path bin) throws IOException {
        write("dev/nvidia0", "");
        Path smi = bin.resolve("nvidia-smi");
        Files.writeString(smi, "#!/bin/sh\necho 'NVIDIA-SMI has failed because it could not communicate'\nexit 9\n");
        Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));

        assertThat(new HostFactsReader(root, List.of(bin)).read().gpus()).containsExactly("/dev/nvidia0");
    }
}
