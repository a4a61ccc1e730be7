package dev.ember.runtime.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.config.EventsConfig;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class EventRoutesTest {

    record RouteConfig(Optional<String> function, Optional<String> replyType, boolean reply)
            implements EventsConfig.Route {
    }

    private static EventRoutes routes(Map<String, EventsConfig.Route> routes) {
        return new EventRoutes(() -> routes);
    }

    @Test
    void aTypeWithoutARouteGoesToTheFunctionOfItsName() {
        EventRoutes.Route r = routes(Map.of()).route("embed");
        assertThat(r.function()).isEqualTo("embed");
        assertThat(r.selector().pinned()).isEmpty();
        assertThat(r.replyType()).isEqualTo("embed.result");
        assertThat(r.reply()).isTrue();
        assertThat(r.configured()).isFalse();
    }

    @Test
    void aRouteNamesTheFunctionAndDefaultsTheReplyType() {
        EventRoutes.Route r = routes(Map.of("dev.ember.embed.request",
                new RouteConfig(Optional.of("embed"), Optional.empty(), true))).route("dev.ember.embed.request");
        assertThat(r.function()).isEqualTo("embed");
        assertThat(r.selector().pinned()).isEmpty();
        assertThat(r.replyType()).isEqualTo("dev.ember.embed.request.result");
        assertThat(r.configured()).isTrue();
    }

    @Test
    void aRouteMayPinAVersionSetTheReplyTypeAndTurnRepliesOff() {
        EventRoutes.Route r = routes(Map.of("t", new RouteConfig(Optional.of("linear/2"),
                Optional.of("t.done"), false))).route("t");
        assertThat(r.function()).isEqualTo("linear");
        assertThat(r.selector().pinned()).isEqualTo(OptionalInt.of(2));
        assertThat(r.replyType()).isEqualTo("t.done");
        assertThat(r.reply()).isFalse();
    }

    @Test
    void aRouteWithoutAFunctionKeepsTheTypeAsFunction() {
        EventRoutes.Route r = routes(Map.of("add", new RouteConfig(Optional.empty(), Optional.empty(), false)))
                .route("add");
        assertThat(r.function()).isEqualTo("add");
        assertThat(r.reply()).isFalse();
    }

    @Test
    void badRoutesFailAtStartNamingTheKey() {
        assertThatThrownBy(() -> routes(Map.of("t", new RouteConfig(Optional.of("linear/x"), Optional.empty(),
                true)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ember.events.routes.\"t\".function=linear/x").hasMessageContaining("positive");
        assertThatThrownBy(() -> routes(Map.of("t", new RouteConfig(Optional.of("../x/1"), Optional.empty(),
                true)))).isInstanceOf(IllegalStateException.class).hasMessageContaining("not a function name");
        assertThatThrownBy(() -> routes(Map.of("t", new RouteConfig(Optional.of("f"), Optional.of(" "), true))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("reply-type");
    }
}
