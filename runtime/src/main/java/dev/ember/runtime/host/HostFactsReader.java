package dev.ember.runtime.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads {@link HostFacts} under a root directory ({@code /} in production, a fake tree in tests). The process's
 * cgroup is found as the JDK finds it: its path in {@code proc/self/cgroup}, resolved against the controller's mount
 * in {@code proc/self/mountinfo}; limits are the smallest from that cgroup up to the mount, since a systemd slice or
 * a pod may set them above the process's own cgroup. Every file is optional: what is missing is unknown, never an
 * error.
 */
public final class HostFactsReader {

    /** cgroup v1 writes "no limit" as the largest page-aligned long; anything this large is no limit. */
    private static final long UNLIMITED = 1L << 62;
    private static final Pattern SELECTED = Pattern.compile("\\[(\\w+)]");
    private static final Pattern NVIDIA_DEVICE = Pattern.compile("nvidia\\d+");
    private static final Pattern MEM_TOTAL = Pattern.compile("MemTotal:\\s+(\\d+)\\s+kB");

    private final Path root;
    private final List<Path> path;

    /** {@code path}: the directories searched for {@code nvidia-smi} (the {@code PATH}). */
    public HostFactsReader(Path root, List<Path> path) {
        this.root = root;
        this.path = path;
    }

    /** The directories of the {@code PATH} environment variable. */
    public static List<Path> systemPath() {
        String value = System.getenv("PATH");
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return Stream.of(value.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
    }

    public HostFacts read() {
        List<Membership> memberships = memberships();
        List<Mount> mounts = mounts();
        Optional<Path> memory = cgroupDirectory("memory", memberships, mounts);
        Optional<Path> cpu = cgroupDirectory("cpu", memberships, mounts);
        String version = memory.or(() -> cpu).map(d -> isV2(d, mounts) ? "v2" : "v1").orElse("none");
        OptionalLong hostMemory = hostMemory();
        OptionalLong limit = memory.map(d -> memoryLimit(d, mounts)).orElse(OptionalLong.empty());
        if (limit.isPresent() && hostMemory.isPresent() && limit.getAsLong() >= hostMemory.getAsLong()) {
            limit = OptionalLong.empty(); // a limit the machine cannot reach limits nothing
        }
        return new HostFacts(version, cpu.map(d -> cpuQuota(d, mounts)).orElse(OptionalDouble.empty()), limit,
                hostMemory, text("sys/kernel/mm/transparent_hugepage/enabled").flatMap(HostFactsReader::selected),
                integer(text("proc/sys/vm/swappiness")), gpus(), Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory());
    }

    // ---- cgroup ----------------------------------------------------------------------------------------------

    /** A line of {@code /proc/self/cgroup}: the controllers of a hierarchy (empty for v2) and the process's path. */
    private record Membership(boolean v2, List<String> controllers, String path) {
    }

    /** A cgroup mount of {@code /proc/self/mountinfo}: the cgroup path it shows ({@code root}) and where. */
    private record Mount(boolean v2, List<String> controllers, String root, Path at) {
    }

    private List<Membership> memberships() {
        List<Membership> out = new ArrayList<>();
        for (String line : lines("proc/self/cgroup")) {
            String[] f = line.split(":", 3);
            if (f.length == 3) {
                boolean v2 = f[0].equals("0") && f[1].isEmpty();
                out.add(new Membership(v2, v2 ? List.of() : List.of(f[1].split(",")), f[2]));
            }
        }
        return out;
    }

    private List<Mount> mounts() {
        List<Mount> out = new ArrayList<>();
        for (String line : lines("proc/self/mountinfo")) {
            // id parent major:minor root mount-point options [optional fields] - type source super-options
            String[] halves = line.split(" - ", 2);
            String[] f = halves[0].split(" ");
            if (halves.length < 2 || f.length < 5) {
                continue;
            }
            String[] tail = halves[1].split(" ");
            String type = tail[0];
            if (!type.equals("cgroup") && !type.equals("cgroup2")) {
                continue;
            }
            List<String> options = tail.length > 2 ? List.of(tail[2].split(",")) : List.of();
            out.add(new Mount(type.equals("cgroup2"), options, unescape(f[3]), under(unescape(f[4]))));
        }
        return out;
    }

    /** The process's cgroup directory of {@code controller}: v1 when a v1 hierarchy has it, else the v2 one. */
    private Optional<Path> cgroupDirectory(String controller, List<Membership> memberships, List<Mount> mounts) {
        for (Membership m : memberships) {
            if (!m.v2() && m.controllers().contains(controller)) {
                Optional<Mount> mount = mounts.stream().filter(x -> !x.v2() && x.controllers().contains(controller))
                        .findFirst();
                Path at = mount.map(Mount::at).orElse(under("/sys/fs/cgroup/" + controller));
                return Optional.of(resolve(at, mount.map(Mount::root).orElse("/"), m.path()));
            }
        }
        for (Membership m : memberships) {
            if (m.v2()) {
                Optional<Mount> mount = mounts.stream().filter(Mount::v2).findFirst();
                Path at = mount.map(Mount::at).orElse(under("/sys/fs/cgroup"));
                return Optional.of(resolve(at, mount.map(Mount::root).orElse("/"), m.path()));
            }
        }
        return Optional.empty();
    }

    /** The directory of cgroup {@code path} in a mount showing cgroup {@code mountRoot} at {@code at}. */
    private static Path resolve(Path at, String mountRoot, String path) {
        String relative;
        if (mountRoot.equals("/")) {
            relative = path;
        } else if (path.equals(mountRoot) || path.startsWith(mountRoot + "/")) {
            relative = path.substring(mountRoot.length());
        } else {
            relative = ""; // a cgroup namespace shows the process's own cgroup as the mount's root
        }
        Path dir = at;
        for (String part : relative.split("/")) {
            if (!part.isEmpty() && !part.equals("..") && !part.equals(".")) {
                dir = dir.resolve(part);
            }
        }
        return dir;
    }

    private boolean isV2(Path dir, List<Mount> mounts) {
        return mounts.stream().filter(Mount::v2).anyMatch(m -> dir.startsWith(m.at()))
                || Files.exists(dir.resolve("cgroup.controllers"));
    }

    /** The directories from {@code dir} up to its mount point, which is the last. */
    private List<Path> upToMount(Path dir, List<Mount> mounts) {
        Path top = mounts.stream().map(Mount::at).filter(dir::startsWith).max(Comparator.comparingInt(Path::getNameCount))
                .orElse(dir);
        List<Path> chain = new ArrayList<>();
        for (Path p = dir; p != null && p.startsWith(top); p = p.getParent()) {
            chain.add(p);
        }
        return chain;
    }

    private OptionalLong memoryLimit(Path dir, List<Mount> mounts) {
        long smallest = Long.MAX_VALUE;
        for (Path level : upToMount(dir, mounts)) {
            OptionalLong v = bytes(read(level.resolve("memory.max")).or(() -> read(level.resolve(
                    "memory.limit_in_bytes"))));
            if (v.isPresent()) {
                smallest = Math.min(smallest, v.getAsLong());
            }
        }
        return smallest >= UNLIMITED ? OptionalLong.empty() : OptionalLong.of(smallest);
    }

    private static OptionalLong bytes(Optional<String> value) {
        if (value.isEmpty() || value.get().equals("max")) {
            return OptionalLong.empty();
        }
        try {
            long v = Long.parseLong(value.get());
            return v <= 0 || v >= UNLIMITED ? OptionalLong.empty() : OptionalLong.of(v);
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private OptionalDouble cpuQuota(Path dir, List<Mount> mounts) {
        double smallest = Double.MAX_VALUE;
        for (Path level : upToMount(dir, mounts)) {
            OptionalDouble cpus = read(level.resolve("cpu.max")).map(HostFactsReader::cpuMax)
                    .orElseGet(() -> cfs(read(level.resolve("cpu.cfs_quota_us")), read(level.resolve(
                            "cpu.cfs_period_us"))));
            if (cpus.isPresent()) {
                smallest = Math.min(smallest, cpus.getAsDouble());
            }
        }
        return smallest == Double.MAX_VALUE ? OptionalDouble.empty() : OptionalDouble.of(smallest);
    }

    /** v2 {@code cpu.max}: {@code "<quota> <period>"}, the quota {@code max} for none. */
    private static OptionalDouble cpuMax(String value) {
        String[] f = value.split("\\s+");
        return f.length == 2 ? ratio(f[0], f[1]) : OptionalDouble.empty();
    }

    /** v1: {@code cpu.cfs_quota_us} ({@code -1} for none) over {@code cpu.cfs_period_us}. */
    private static OptionalDouble cfs(Optional<String> quota, Optional<String> period) {
        return quota.isPresent() && period.isPresent() ? ratio(quota.get(), period.get()) : OptionalDouble.empty();
    }

    private static OptionalDouble ratio(String quota, String period) {
        try {
            long q = Long.parseLong(quota);
            long p = Long.parseLong(period);
            return q > 0 && p > 0 ? OptionalDouble.of((double) q / p) : OptionalDouble.empty();
        } catch (NumberFormatException e) {
            return OptionalDouble.empty(); // "max"
        }
    }

    // ---- the rest of the host --------------------------------------------------------------------------------

    private OptionalLong hostMemory() {
        for (String line : lines("proc/meminfo")) {
            Matcher m = MEM_TOTAL.matcher(line);
            if (m.matches()) {
                return OptionalLong.of(Long.parseLong(m.group(1)) * 1024);
            }
        }
        return OptionalLong.empty();
    }

    /** The bracketed choice of a kernel mode file such as {@code always [madvise] never}. */
    private static Optional<String> selected(String value) {
        Matcher m = SELECTED.matcher(value);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static OptionalInt integer(Optional<String> value) {
        try {
            return value.isPresent() ? OptionalInt.of(Integer.parseInt(value.get())) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** {@code nvidia-smi -L} when it is on the path and answers, else the GPU device nodes. */
    private List<String> gpus() {
        Optional<Path> smi = path.stream().map(d -> d.resolve("nvidia-smi")).filter(Files::isExecutable).findFirst();
        if (smi.isPresent()) {
            List<String> listed = nvidiaSmi(smi.get());
            if (!listed.isEmpty()) {
                return listed;
            }
        }
        try (Stream<Path> dev = Files.list(under("/dev"))) {
            return dev.map(p -> p.getFileName().toString()).filter(n -> NVIDIA_DEVICE.matcher(n).matches())
                    .sorted(Comparator.comparingInt(n -> Integer.parseInt(n.substring("nvidia".length()))))
                    .map(n -> "/dev/" + n).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static List<String> nvidiaSmi(Path smi) {
        try {
            Process p = new ProcessBuilder(smi.toString(), "-L").redirectErrorStream(true).start();
            p.getOutputStream().close();
            // read beside the wait, so a driver that hangs costs the timeout, not the start
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = p.getInputStream()) {
                    return in.readNBytes(64 * 1024);
                } catch (IOException e) {
                    return new byte[0];
                }
            });
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return List.of();
            }
            if (p.exitValue() != 0) {
                return List.of();
            }
            return new String(out.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> l.startsWith("GPU ")).toList();
        } catch (IOException | ExecutionException | TimeoutException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    // ---- files -----------------------------------------------------------------------------------------------

    private Path under(String absolute) {
        return root.resolve(absolute.startsWith("/") ? absolute.substring(1) : absolute);
    }

    private Optional<String> text(String relative) {
        return read(root.resolve(relative));
    }

    private static Optional<String> read(Path file) {
        // in large reads: procfs and sysfs report a size of 0, and a sysctl read at an offset past 0 is empty, so
        // Files.readString (one byte, then the rest) reads "6" of a swappiness of 60
        try (InputStream in = Files.newInputStream(file)) {
            return Optional.of(new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8).strip());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private List<String> lines(String relative) {
        return text(relative).map(s -> s.lines().toList()).orElse(List.of());
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    private static String unescape(String field) {
        return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
