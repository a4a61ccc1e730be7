package dev.ember.runtime.management;

import dev.ember.runtime.api.ForbiddenException;
import dev.ember.runtime.api.UnauthorizedException;
import dev.ember.runtime.config.EmberConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The check every management write makes first: {@code Authorization: Bearer <ember.management.token>}. With no
 * token configured the writes are off (403); a missing or wrong token is 401.
 */
@ApplicationScoped
public class ManagementAuth {

    private static final String SCHEME = "Bearer ";

    // the digest, not the token: comparing fixed-length digests takes the same time whatever length is presented
    private final Optional<byte[]> expected;

    ManagementAuth(EmberConfig config) {
        this.expected = config.management().token().filter(t -> !t.isBlank()).map(ManagementAuth::digest);
    }

    /** Returns when the header carries the management token; throws {@link ForbiddenException} or {@link UnauthorizedException}. */
    public void authorize(String authorizationHeader) {
        if (expected.isEmpty()) {
            throw new ForbiddenException("management writes are off: set ember.management.token to enable them");
        }
        String header = authorizationHeader == null ? "" : authorizationHeader.strip();
        if (!header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw new UnauthorizedException("'Authorization': send 'Bearer <ember.management.token>'", false);
        }
        byte[] presented = digest(header.substring(SCHEME.length()).strip());
        if (!MessageDigest.isEqual(expected.get(), presented)) {
            throw new UnauthorizedException("'Authorization': the bearer token is not the management token", true);
        }
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
