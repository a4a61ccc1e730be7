package dev.ember.it;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/** With no ember.management.token (the shipped default) every management write is off: 403, whatever is sent. */
@QuarkusTest
@WithTestResource(FixtureRepository.class)
public class ManagementWritesOffTest {

    @Test
    void trafficCannotBeChanged() {
        String before = given().get("/functions/embed/traffic").then().statusCode(200).extract().asString();
        given().header("Authorization", "Bearer anything").contentType(ContentType.JSON)
                .body("{\"traffic\": [{\"version\": \"2\", \"percent\": 100}]}").put("/functions/embed/traffic")
                .then().statusCode(403).body("error", containsString("ember.management.token"));
        given().contentType(ContentType.JSON).body("{\"traffic\": [{\"version\": \"2\", \"percent\": 100}]}")
                .put("/functions/embed/traffic").then().statusCode(403);
        assertThat(given().get("/functions/embed/traffic").then().statusCode(200).extract().asString())
                .isEqualTo(before);
    }
}
