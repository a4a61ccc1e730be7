package dev.ember.runtime.repository;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * Directories that Ember reuses across restarts (extracted native libraries, materialised models, cached checksums):
 * what is found in one is trusted, so each must be a real directory of this user's that no one else can write.
 */
public final class PrivateDirectory {

    private static final Set<PosixFilePermission> OWNER_DIR = PosixFilePermissions.fromString("rwx------");

    private PrivateDirectory() {
    }

    /** Creates {@code dir} owner-only, or accepts it only if it is a real directory of this user's, owner-only. */
    public static Path require(Path dir) throws IOException {
        if (Files.notExists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_DIR));
            } catch (FileAlreadyExistsException raced) {
                // another process made it: checked below like any existing one
            }
        }
        PosixFileAttributes attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!attributes.isDirectory()) {
            throw new IOException(dir + " is not a directory (a link or a file): not used");
        }
        if (!attributes.owner().getName().equals(System.getProperty("user.name"))
                && !String.valueOf(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)).equals(uid())) {
            throw new IOException(dir + " belongs to another user: not used");
        }
        Set<PosixFilePermission> others = EnumSet.copyOf(attributes.permissions());
        others.removeAll(OWNER_DIR);
        if (!others.isEmpty()) {
            throw new IOException(dir + " is open to other users (" + PosixFilePermissions.toString(
                    attributes.permissions()) + "): not used");
        }
        return dir;
    }

    /** This process's numeric user id (the owner of /proc/self), else its sanitised user name. */
    public static String uid() {
        try {
            return String.valueOf(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | RuntimeException e) {
            return System.getProperty("user.name", "user").replaceAll("[^A-Za-z0-9_.-]", "_");
        }
    }

    /** {@code <java.io.tmpdir>/<prefix><uid>}, private: one per user, so another user's is never a concern. */
    public static Path underTmp(String prefix) throws IOException {
        return require(Path.of(System.getProperty("java.io.tmpdir")).resolve(prefix + uid()));
    }
}
