package dev.ember.runtime.api;

/** A management write without the right bearer token (401 with WWW-Authenticate). */
public class UnauthorizedException extends EmberException {

    private final boolean tokenPresented;

    public UnauthorizedException(String message, boolean tokenPresented) {
        super(message);
        this.tokenPresented = tokenPresented;
    }

    /** Whether a token was sent (and was wrong), so the challenge can say {@code invalid_token} (RFC 6750). */
    public boolean tokenPresented() {
        return tokenPresented;
    }
}
