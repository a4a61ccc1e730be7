package dev.ember.runtime.onnx;

import dev.ember.runtime.repository.PrivateDirectory;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * ONNX Runtime's Java loader copies its native libraries out of the jar into a new {@code java.io.tmpdir} directory
 * on every start and deletes them only at a clean exit, so every crash (an OutOfMemoryError with
 * ExitOnOutOfMemoryError, a kill) leaves tens of MB behind. It loads them from {@code onnxruntime.native.path}
 * instead when that is set: Ember sets it to a private directory, {@code <java.io.tmpdir>/ember-native-<uid>/<key>},
 * extracted once and reused by every later start. An operator who set {@code onnxruntime.native.path} (a
 * pre-extracted directory, e.g. in a read-only image) is left alone.
 */
public final class NativeLibraries {

    static final String NATIVE_PATH = "onnxruntime.native.path";
    private static final Logger LOG = Logger.getLogger(NativeLibraries.class);
    // every library the 1.29 loader loads or looks for beside the main one (providers are looked up in the same dir)
    private static final List<String> LIBRARIES = List.of("onnxruntime", "onnxruntime4j_jni",
            "onnxruntime_providers_shared", "onnxruntime_providers_cuda", "onnxruntime_providers_tensorrt",
            "onnxruntime_providers_dnnl", "onnxruntime_providers_openvino", "onnxruntime_providers_rocm",
            "onnxruntime_providers_qnn", "webgpu_dawn", "dxil", "dxcompiler");
    private static boolean prepared;
    // OrtEnvironment's class initialiser loads the libraries (it does nothing else)
    private static final Loading ORT = new Loading("ONNX Runtime", () -> {
        prepare();
        Class.forName("ai.onnxruntime.OrtEnvironment", true, NativeLibraries.class.getClassLoader());
        return null;
    });

    private NativeLibraries() {
    }

    /**
     * Loads ONNX Runtime's native libraries now, in the calling thread (start-up calls it in the background, so that
     * the tens of MB it maps are loaded while Quarkus starts); false, with a log line, when they cannot be loaded:
     * start-up goes on and every model load then fails with {@link #load()}'s error.
     */
    public static boolean preload() {
        return ORT.preload();
    }

    /** Loads the libraries if no earlier call did; throws a clear error when they cannot be loaded. */
    static void load() {
        ORT.require();
    }

    /** Loads a native library once; a failure is kept, so every later use reports the same cause. */
    static final class Loading {
        private final String what;
        private final Callable<?> loader;
        private boolean loaded;
        private Throwable failure;

        Loading(String what, Callable<?> loader) {
            this.what = what;
            this.loader = loader;
        }

        synchronized void require() {
            if (!loaded && failure == null) {
                try {
                    loader.call();
                    loaded = true;
                } catch (Exception | LinkageError e) {
                    failure = e;
                }
            }
            if (failure != null) {
                // the cause (a library path, a linker message) is in the log, not in what clients may be shown
                throw new IllegalStateException(what + "'s native libraries could not be loaded ("
                        + failure.getClass().getSimpleName() + "; the log has the cause)");
            }
        }

        boolean preload() {
            long start = System.nanoTime();
            try {
                require();
                LOG.debugf("%s's native libraries loaded in %d ms", what, (System.nanoTime() - start) / 1_000_000);
                return true;
            } catch (IllegalStateException e) {
                LOG.errorf(failure, "%s's native libraries could not be loaded at start-up: every model load will fail"
                        + " until the process restarts", what);
                return false;
            }
        }
    }

    /** Points ONNX Runtime at the private extracted libraries; must run before any ai.onnxruntime class loads. */
    static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if (System.getProperty(NATIVE_PATH) != null) {
            return;
        }
        Optional<String> platform = platform();
        if (platform.isEmpty() || !FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try {
            Path base = Path.of(System.getProperty("java.io.tmpdir")).resolve("ember-native-" + uid());
            extract(base, platform.get()).ifPresent(dir -> System.setProperty(NATIVE_PATH, dir.toString()));
        } catch (IOException | RuntimeException e) {
            // ONNX Runtime's own extraction still works: only the leftovers after a crash come back
            LOG.warnf("ONNX Runtime's native libraries are extracted by ONNX Runtime itself: %s", e.getMessage());
        }
    }

    /**
     * Extracts the platform's libraries into a directory under {@code base} keyed by where they come from (the jar,
     * so another ONNX Runtime version gets another directory), reusing files already there; empty when the
     * classpath has none (ONNX Runtime then finds them on java.library.path). {@code base} must be a directory
     * owned by this user with owner-only permissions, or not exist yet.
     */
    static Optional<Path> extract(Path base, String platform) throws IOException {
        List<URL> found = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String library : LIBRARIES) {
            String file = System.mapLibraryName(library).replace("jnilib", "dylib");
            URL url = OrtResources.get("/ai/onnxruntime/native/" + platform + "/" + file);
            if (url != null) {
                found.add(url);
                names.add(file);
            }
        }
        if (found.isEmpty() || !names.contains(System.mapLibraryName("onnxruntime").replace("jnilib", "dylib"))) {
            return Optional.empty();
        }
        PrivateDirectory.require(base);
        Path dir = base.resolve(platform + "-" + key(found));
        PrivateDirectory.require(dir);
        for (int i = 0; i < found.size(); i++) {
            Path target = dir.resolve(names.get(i));
            URLConnection connection = found.get(i).openConnection();
            long length = connection.getContentLengthLong();
            // a file under its final name is complete (moved into place whole) and only this user can write here
            if (length >= 0 && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS) && Files.size(target) == length) {
                connection.getInputStream().close();
                continue;
            }
            Path partial = Files.createTempFile(dir, names.get(i), ".partial",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try (InputStream in = connection.getInputStream()) {
                try (OutputStream out = Files.newOutputStream(partial)) {
                    in.transferTo(out);
                }
                try {
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(partial);
            }
        }
        return Optional.of(dir);
    }

    /** Where the libraries come from, hashed: the jar's URL names its version, the lengths tell builds apart. */
    private static String key(List<URL> urls) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (URL url : urls) {
                digest.update(url.toString().getBytes(StandardCharsets.UTF_8));
                digest.update(Long.toString(url.openConnection().getContentLengthLong()).getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String uid() {
        return PrivateDirectory.uid();
    }

    /** ONNX Runtime's name for this platform (its jar's native/ folder), as its loader computes it. */
    static Optional<String> platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ENGLISH);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ENGLISH);
        String o = os.contains("mac") || os.contains("darwin") ? "osx" : os.contains("win") ? "win"
                : os.contains("nux") ? "linux" : null;
        String a = arch.startsWith("amd64") || arch.startsWith("x86_64") ? "x64"
                : arch.startsWith("aarch64") ? "aarch64" : null;
        return o == null || a == null ? Optional.empty() : Optional.of(o + "-" + a);
    }

    /** Reads resources without loading an ai.onnxruntime class (that would start ONNX Runtime's own loader). */
    private static final class OrtResources {
        static URL get(String absolute) {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            URL url = loader != null ? loader.getResource(absolute.substring(1)) : null;
            return url != null ? url : NativeLibraries.class.getResource(absolute);
        }
    }
}
