package dev.ember.runtime.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import org.jboss.logging.Logger;

import java.util.Locale;

/**
 * The process's one ONNX Runtime environment. Only the first {@code OrtEnvironment.getEnvironment} call in a process
 * creates it, with that call's logging level, so every Ember use goes through here: the native libraries are
 * prepared first ({@link NativeLibraries}), ONNX Runtime's own stderr logger is held to {@code ember.onnx.log-level}
 * (by default fatal only: Ember reports failures itself, without ONNX Runtime's source paths), and telemetry is off.
 */
public final class OnnxEnvironment {

    private static final Logger LOG = Logger.getLogger(OnnxEnvironment.class);
    private static volatile OrtEnvironment env;

    private OnnxEnvironment() {
    }

    /** The environment, created on the first call with {@code level}; later calls get the same one. */
    static OrtEnvironment get(String level) {
        OrtEnvironment e = env;
        if (e != null) {
            return e;
        }
        synchronized (OnnxEnvironment.class) {
            if (env == null) {
                NativeLibraries.load();
                OrtEnvironment created = OrtEnvironment.getEnvironment(loggingLevel(level), "ember");
                // ONNX Runtime's Linux build sends usage telemetry unless told not to; a model server must not phone home
                try {
                    created.setTelemetry(false);
                } catch (OrtException ex) {
                    LOG.warnf("could not disable ONNX Runtime telemetry: %s", ex.getMessage());
                }
                env = created;
            }
            return env;
        }
    }

    /** The environment at the default level, for code that has no configuration at hand (tests, tools). */
    public static OrtEnvironment get() {
        return get("fatal");
    }

    static OrtLoggingLevel loggingLevel(String level) {
        return switch (level.trim().toLowerCase(Locale.ROOT)) {
            case "verbose" -> OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE;
            case "info" -> OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
            case "warning", "warn" -> OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
            case "error" -> OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
            case "fatal" -> OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            default -> throw new IllegalArgumentException(
                    "ember.onnx.log-level must be verbose, info, warning, error or fatal, not '" + level + "'");
        };
    }
}
