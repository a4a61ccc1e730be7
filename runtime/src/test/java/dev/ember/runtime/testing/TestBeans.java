package dev.ember.runtime.testing;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;

/** Builds a runtime bean the way CDI does (through its package-private constructor), for tests outside Quarkus. */
public final class TestBeans {

    private TestBeans() {
    }

    /** The bean made by the declared constructor that takes these arguments. */
    public static <T> T create(Class<T> type, Object... args) {
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (accepts(c.getParameterTypes(), args)) {
                try {
                    c.setAccessible(true);
                    return type.cast(c.newInstance(args));
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof RuntimeException r) {
                        throw r;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        throw new IllegalArgumentException("no constructor of " + type.getName() + " takes these arguments");
    }

    private static boolean accepts(Class<?>[] parameters, Object[] args) {
        if (parameters.length != args.length) {
            return false;
        }
        for (int i = 0; i < args.length; i++) {
            if (args[i] != null && !parameters[i].isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }
}
