package dev.ember.runtime.traffic;

import java.util.Optional;
import java.util.OptionalInt;

/** What a request says about the version it wants: a pin (path), a tag (header), or nothing. */
public record VersionSelector(OptionalInt pinned, Optional<String> tag) {

    public static final VersionSelector ANY = new VersionSelector(OptionalInt.empty(), Optional.empty());

    public static VersionSelector pinned(int version) {
        return new VersionSelector(OptionalInt.of(version), Optional.empty());
    }

    public static VersionSelector tagged(String tag) {
        return tag == null || tag.isBlank() ? ANY : new VersionSelector(OptionalInt.empty(), Optional.of(tag.trim()));
    }
}
