package dev.ember.runtime.management;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ember.runtime.api.ForbiddenException;
import dev.ember.runtime.api.UnauthorizedException;
import dev.ember.runtime.config.TestConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The management writes: off without a token, and only the exact bearer token opens them. */
class ManagementAuthTest {

    static ManagementAuth auth(Map<String, String> properties) {
        return new ManagementAuth(TestConfig.ember(properties));
    }

    @Test
    void withoutATokenEveryWriteIsForbiddenWhateverIsSent() {
        for (ManagementAuth off : new ManagementAuth[] {auth(Map.of()), auth(Map.of("ember.management.token", " "))}) {
            for (String header : new String[] {null, "", "Bearer ", "Bearer anything", "Basic YTpi"}) {
                assertThatThrownBy(() -> off.authorize(header)).as(String.valueOf(header))
                        .isInstanceOf(ForbiddenException.class).hasMessageContaining("ember.management.token");
            }
        }
    }

    @Test
    void onlyTheExactTokenIsAccepted() {
        ManagementAuth on = auth(Map.of("ember.management.token", "s3cret-token"));
        assertThatCode(() -> on.authorize("Bearer s3cret-token")).doesNotThrowAnyException();
        assertThatCode(() -> on.authorize("bearer s3cret-token")).doesNotThrowAnyException();
        for (String header : new String[] {null, "", "s3cret-token", "Basic s3cret-token", "Bearer", "Bearer ",
                "Bearer s3cret", "Bearer s3cret-token2", "Bearer S3CRET-TOKEN", "Bearer s3cret-tokeN"}) {
            assertThatThrownBy(() -> on.authorize(header)).as(String.valueOf(header))
                    .isInstanceOf(UnauthorizedException.class);
        }
    }
}
