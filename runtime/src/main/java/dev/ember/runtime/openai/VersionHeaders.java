package dev.ember.runtime.openai;

import dev.ember.runtime.invoke.Invocation;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The version headers of {@code /functions} on the OpenAI endpoints too: {@code Ember-Tag} selects a tagged version,
 * {@code Ember-Version} says which one served (the http package's names; ingress packages do not share code).
 */
final class VersionHeaders {

    static final String TAG = "Ember-Tag";
    static final String VERSION = "Ember-Version";

    private VersionHeaders() {
    }

    static Response ok(Invocation<byte[]> inv) {
        return Response.ok(inv.response(), MediaType.APPLICATION_JSON)
                .header(VERSION, String.valueOf(inv.served().version())).build();
    }
}
