package dev.ember.runtime.traffic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ember.runtime.api.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

class TrafficBlockTest {

    private final ObjectMapper mapper = new ObjectMapper();

    private TrafficSplit parse(String json) throws Exception {
        return TrafficBlock.parse(mapper.readTree(json));
    }

    @Test
    void writesTheBlockInVersionOrderWithoutAbsentTags() throws Exception {
        TrafficSplit split = new TrafficSplit(List.of(new TrafficSplit.Target(2, 10, null),
                new TrafficSplit.Target(1, 90, "stable")));
        assertThat(mapper.writeValueAsString(TrafficBlock.of(split))).isEqualTo(
                "{\"traffic\":[{\"version\":\"1\",\"percent\":90,\"tag\":\"stable\"},{\"version\":\"2\",\"percent\":10}]}");
    }

    @Test
    void readsWhatItWrites() throws Exception {
        TrafficSplit split = parse("{\"traffic\": [{\"version\": \"1\", \"percent\": 90, \"tag\": \"stable\"},"
                + " {\"version\": 2, \"percent\": 10, \"tag\": null}]}");
        assertThat(split.targets()).containsExactly(new TrafficSplit.Target(1, 90, "stable"),
                new TrafficSplit.Target(2, 10, null));
        assertThat(parse(mapper.writeValueAsString(TrafficBlock.of(split)))).isEqualTo(split);
    }

    @Test
    void namesTheFieldThatIsWrong() {
        assertBad("[]", "the body must be a JSON object");
        assertBad("{}", "'traffic' must be an array");
        assertBad("{\"traffic\": {}}", "'traffic' must be an array");
        assertBad("{\"traffic\": [], \"extra\": 1}", "'extra' is not a field");
        assertBad("{\"traffic\": [1]}", "'traffic[0]' must be an object");
        assertBad("{\"traffic\": [{\"percent\": 100}]}", "'traffic[0].version' must be a version number");
        assertBad("{\"traffic\": [{\"version\": \"v1\", \"percent\": 100}]}", "'traffic[0].version'");
        assertBad("{\"traffic\": [{\"version\": \"0\", \"percent\": 100}]}", "'traffic[0].version'");
        assertBad("{\"traffic\": [{\"version\": \"1\"}]}", "'traffic[0].percent' must be an integer from 0 to 100");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": \"100\"}]}", "'traffic[0].percent'");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": 50.5}]}", "'traffic[0].percent'");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": 101}]}", "'traffic[0].percent'");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": -1}]}", "'traffic[0].percent'");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": 100, \"tag\": 7}]}", "'traffic[0].tag' must be a string");
        assertBad("{\"traffic\": [{\"version\": \"1\", \"percent\": 100}, {\"version\": \"2\", \"percnt\": 0}]}",
                "'traffic[1].percnt' is not a field");
    }

    @Test
    void splitProblemsNameTheVersionOrTag() {
        Set<Integer> versions = Set.of(1, 2);
        assertThat(split(new TrafficSplit.Target(1, 100, null), new TrafficSplit.Target(3, 0, null))
                .problem("f", versions)).contains("function 'f' has no version 3");
        assertThat(split(new TrafficSplit.Target(1, 50, null), new TrafficSplit.Target(1, 50, null))
                .problem("f", versions)).contains("version 1 is listed twice");
        assertThat(split(new TrafficSplit.Target(1, 50, "a"), new TrafficSplit.Target(2, 50, "a"))
                .problem("f", versions)).contains("the tag 'a' is given to versions 1 and 2");
        assertThat(split(new TrafficSplit.Target(1, 100, "no spaces"))
                .problem("f", versions)).contains("the tag 'no spaces' of version 1 is not a valid tag (letters, digits, '_', '.', '-')");
        assertThat(split(new TrafficSplit.Target(1, 60, null), new TrafficSplit.Target(2, 30, null))
                .problem("f", versions)).contains("the percents of function 'f' sum to 90, not 100");
        assertThat(split().problem("f", versions)).contains("it must name at least one version");
        assertThat(split(new TrafficSplit.Target(1, 0, "stable"), new TrafficSplit.Target(2, 100, null))
                .problem("f", versions)).isEmpty();
    }

    @Test
    void aVersionAtZeroIsNeverDrawn() {
        TrafficSplit split = split(new TrafficSplit.Target(1, 0, "old"), new TrafficSplit.Target(2, 100, null),
                new TrafficSplit.Target(3, 0, "candidate"));
        for (int draw = 0; draw < 100; draw++) {
            assertThat(split.pick(draw)).isEqualTo(2);
        }
        TrafficSplit half = split(new TrafficSplit.Target(1, 50, null), new TrafficSplit.Target(2, 50, null));
        assertThat(half.pick(0)).isEqualTo(1);
        assertThat(half.pick(49)).isEqualTo(1);
        assertThat(half.pick(50)).isEqualTo(2);
        assertThat(half.pick(99)).isEqualTo(2);
    }

    private static TrafficSplit split(TrafficSplit.Target... targets) {
        return new TrafficSplit(List.of(targets));
    }

    private void assertBad(String json, String message) {
        assertThatThrownBy(() -> parse(json)).isInstanceOf(InvalidInputException.class).hasMessageContaining(message);
    }
}
