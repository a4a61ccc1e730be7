package dev.ember.it;

import dev.ember.runtime.testing.DecoderModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The fixture repository (plain models, to be refused as generators) and a generated decoder with seeded random
 * weights, in the Optimum with-past layout, served as function {@code gen} by pointing its model at the directory, and
 * by the Java function {@link ShapedGenerator} wrapping the same files.
 */
public class GeneratorRepository extends FixtureRepository {

    static final String GEN = "gen";
    /** The decoder's context: a prompt beyond it is refused. */
    static final int MAX_POSITIONS = 512;
    /** A decoder with a long context, whose generation of {@link #LONG_TOKENS} outlasts any test's client. */
    static final String LONG = "gen_long";
    static final int LONG_TOKENS = 8000;
    /** The long decoder again, with room for one sequence and one waiting: a third request is 503. */
    static final String ONE = "gen_one";

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        try {
            Path dir = Files.createTempDirectory("ember-gen");
            DecoderModels.builder().seed(13).maxPositions(MAX_POSITIONS).write(dir);
            config.put("ember.functions." + GEN + ".model", dir.toString());
            config.put("ember.functions." + GEN + ".timeout", "60s");
            // ShapedGenerator wraps the same decoder
            config.put("it.shaped-generator", "true");
            config.put("ember.functions." + ShapedGenerator.NAME + ".model", dir.toString());
            Path longDir = Files.createTempDirectory("ember-gen-long");
            DecoderModels.builder().seed(14).maxPositions(LONG_TOKENS + 192).write(longDir);
            config.put("ember.functions." + LONG + ".model", longDir.toString());
            config.put("ember.functions." + LONG + ".timeout", "600s");
            config.put("ember.functions." + ONE + ".model", longDir.toString());
            config.put("ember.functions." + ONE + ".generate.max-running", "1");
            config.put("ember.functions." + ONE + ".generate.max-waiting", "1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return config;
    }
}
