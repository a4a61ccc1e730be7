package dev.ember.knative.manifests;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** One YAML document of a manifest file, with the file's text (the comments carry required notes). */
record Manifest(Path file, int index, JsonNode doc, String fileText) {

    String apiVersion() {
        return doc.path("apiVersion").asText();
    }

    String kind() {
        return doc.path("kind").asText();
    }

    String name() {
        return doc.path("metadata").path("name").asText();
    }

    boolean is(String apiVersion, String kind) {
        return apiVersion().equals(apiVersion) && kind().equals(kind);
    }

    @Override
    public String toString() {
        return file.getFileName() + (index > 0 ? "#" + index : "") + " (" + kind() + " " + name() + ")";
    }

    /** The knative/ module directory (from the build, {@code ember.knative.dir}). */
    static Path moduleDir() {
        return Path.of(System.getProperty("ember.knative.dir", ".")).toAbsolutePath().normalize();
    }

    /**
     * Every YAML manifest under knative/, except build output, the test sources' deliberately broken ones and the
     * overlays (partial objects that GeneratedManifestTest merges into the generated Service).
     */
    static List<Manifest> all() {
        Path root = moduleDir();
        try (Stream<Path> files = Files.walk(root)) {
            List<Manifest> manifests = new ArrayList<>();
            for (Path file : files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .filter(f -> {
                        Path rel = root.relativize(f);
                        String first = rel.getName(0).toString();
                        return !first.equals("target") && !first.equals("src") && !first.equals("overlays")
                                && !first.startsWith(".");
                    })
                    .sorted().toList()) {
                manifests.addAll(read(file));
            }
            return manifests;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Manifest> read(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            List<Manifest> docs = new ArrayList<>();
            try (JsonParser parser = CrdSchemaValidator.YAML.getFactory().createParser(text);
                 MappingIterator<JsonNode> it = CrdSchemaValidator.YAML.readValues(parser, JsonNode.class)) {
                int index = 0;
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isNull() && !doc.isEmpty()) {
                        docs.add(new Manifest(file, index++, doc, text));
                    }
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static List<Manifest> ofKind(List<Manifest> all, String apiVersion, String kind) {
        return all.stream().filter(m -> m.is(apiVersion, kind)).toList();
    }
}
