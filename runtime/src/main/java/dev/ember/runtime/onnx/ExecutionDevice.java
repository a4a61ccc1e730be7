package dev.ember.runtime.onnx;

import java.util.Locale;

/** The parsed {@code ember.device}: where sessions are asked to run. */
public record ExecutionDevice(Kind kind, int deviceId) {

    public enum Kind { AUTO, CPU, CUDA }

    public static ExecutionDevice parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("auto")) {
            return new ExecutionDevice(Kind.AUTO, 0);
        }
        if (v.equals("cpu")) {
            return new ExecutionDevice(Kind.CPU, 0);
        }
        if (v.equals("cuda")) {
            return new ExecutionDevice(Kind.CUDA, 0);
        }
        if (v.startsWith("cuda:")) {
            try {
                int id = Integer.parseInt(v.substring(5));
                if (id >= 0) {
                    return new ExecutionDevice(Kind.CUDA, id);
                }
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("ember.device must be auto, cpu, cuda or cuda:N, not '" + value + "'");
    }

    public boolean wantsCuda() {
        return kind != Kind.CPU;
    }
}
