package dev.ember.knative.rollout;

import java.util.Optional;

/** Where the candidate revision comes from: a new image stamped into the Service's template, or an existing revision. */
public sealed interface CandidateSource {

    /**
     * @param image         the new image reference
     * @param container     which container gets it; empty = the Service's only container
     * @param revisionName  the new revision's name; empty = {@code <service>-<hash of image and generation>}
     */
    record Image(String image, Optional<String> container, Optional<String> revisionName) implements CandidateSource {
    }

    /** A revision of this Service that already exists (e.g. created earlier at 0% with a tag). */
    record Existing(String revisionName) implements CandidateSource {
    }
}
