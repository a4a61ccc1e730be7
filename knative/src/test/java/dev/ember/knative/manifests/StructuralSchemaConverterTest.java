package dev.ember.knative.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** The CRD-to-JSON-Schema conversion on its own: the x-kubernetes-* semantics it has to get right. */
class StructuralSchemaConverterTest {

    private static final String SCHEMA = """
            type: object
            properties:
              strict:
                type: object
                properties:
                  a: {type: string}
              open:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  a: {type: string}
              port:
                x-kubernetes-int-or-string: true
              count:
                type: integer
                format: int64
              maybe:
                type: string
                nullable: true
              list:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  properties:
                    name: {type: string}
            """;

    private final Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4)
            .getSchema(StructuralSchemaConverter.toJsonSchema(yaml(SCHEMA)));

    @Test
    void unknownFieldsAreRejectedOnlyWhereUnknownFieldsAreNotPreserved() {
        assertThat(schema.validate(yaml("strict: {a: x, b: y}")))
                .anySatisfy(e -> assertThat(e.getInstanceLocation() + ": " + e.getMessage()).contains("b"));
        assertThat(schema.validate(yaml("open: {a: x, b: {anything: [1, 2]}}"))).isEmpty();
        assertThat(schema.validate(yaml("open: {a: 5}"))).as("known fields keep their type").isNotEmpty();
    }

    @Test
    void intOrStringFormatAndNullableAreHandled() {
        assertThat(schema.validate(yaml("port: 8080"))).isEmpty();
        assertThat(schema.validate(yaml("port: http"))).isEmpty();
        assertThat(schema.validate(yaml("port: [1]"))).isNotEmpty();
        assertThat(schema.validate(yaml("count: 12345678901"))).isEmpty();
        assertThat(schema.validate(yaml("count: \"12\""))).isNotEmpty();
        assertThat(schema.validate(yaml("maybe: null"))).isEmpty();
        assertThat(schema.validate(yaml("list: [{name: a}, {name: b}]"))).isEmpty();
    }

    private static JsonNode yaml(String text) {
        try {
            return CrdSchemaValidator.YAML.readTree(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
