package dev.ember.runtime.repository;

import java.util.regex.Pattern;

/** The names a model, function or version may have: nothing that can step outside the repository root. */
public final class ModelNames {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,8}");

    private ModelNames() {
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches() && !name.contains("..");
    }

    /** The version as a positive integer, or -1 when the text is not one. */
    public static int parseVersion(String version) {
        return version != null && VERSION.matcher(version).matches() ? Integer.parseInt(version) : -1;
    }
}
