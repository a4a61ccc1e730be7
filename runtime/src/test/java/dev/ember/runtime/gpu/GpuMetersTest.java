package dev.ember.runtime.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU meters against a fake nvidia-smi: present while it answers, absent (never 0) when it fails or hangs. */
class GpuMetersTest {

    static final String TWO_GPUS = "0, NVIDIA H200, 1024, 143771, 37\n1, NVIDIA A10, 512, 23028, [N/A]\n";

    @TempDir
    Path dir;
    Path fake;
    PrometheusMeterRegistry prometheus;
    CompositeMeterRegistry registry;
    GpuMeters meters;

    /** A fake nvidia-smi that prints the file {@code answer} and exits with the status in {@code status}. */
    @BeforeEach
    void fakeNvidiaSmi() throws IOException {
        fake = dir.resolve("nvidia-smi");
        Files.writeString(fake, "#!/bin/sh\n"
                + "[ \"$*\" = \"" + String.join(" ", NvidiaSmi.QUERY) + "\" ] || exit 9\n"
                + "[ -f \"" + dir.resolve("hang") + "\" ] && exec sleep 60\n"
                + "cat \"" + dir.resolve("answer") + "\"\n"
                + "exit $(cat \"" + dir.resolve("status") + "\")\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        answer(TWO_GPUS, 0);
        prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry = new CompositeMeterRegistry();
        registry.add(prometheus);
        meters = new GpuMeters(registry, config("nvidia-smi", Duration.ofHours(1), Duration.ofSeconds(10)));
    }

    @AfterEach
    void stop() {
        meters.onStop(null);
    }

    void answer(String csv, int status) throws IOException {
        Files.writeString(dir.resolve("answer"), csv);
        Files.writeString(dir.resolve("status"), Integer.toString(status));
    }

    List<String> gpuLines() {
        // the exposition format's optional trailing comma in a label set is dropped, to compare series as written
        return prometheus.scrape().lines().filter(l -> l.startsWith("ember_gpu_")).map(l -> l.replace(",}", "}"))
                .sorted().toList();
    }

    @Test
    void theBinaryIsFoundOnThePathOrByItsPath() {
        String path = "/nonexistent" + java.io.File.pathSeparator + dir;
        assertThat(NvidiaSmi.resolve("nvidia-smi", path)).contains(fake);
        assertThat(NvidiaSmi.resolve("nvidia-smi", "/nonexistent")).isEmpty();
        assertThat(NvidiaSmi.resolve("nvidia-smi", null)).isEmpty();
        assertThat(NvidiaSmi.resolve(fake.toString(), "/nonexistent")).contains(fake);
        assertThat(NvidiaSmi.resolve(dir.resolve("absent").toString(), path)).isEmpty();
    }

    @Test
    void everyReportedFieldIsAMeterInBytesAndRatios() {
        meters.start(fake);
        assertThat(gpuLines()).containsExactly(
                "ember_gpu_memory_total_bytes{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 1.50754820096E11",
                "ember_gpu_memory_total_bytes{gpu=\"1\",gpu_name=\"NVIDIA A10\"} 2.4146608128E10",
                "ember_gpu_memory_used_bytes{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 1.073741824E9",
                "ember_gpu_memory_used_bytes{gpu=\"1\",gpu_name=\"NVIDIA A10\"} 5.36870912E8",
                // GPU 1 reports no utilisation: no meter, not a 0
                "ember_gpu_utilization_ratio{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 0.37");
    }

    @Test
    void aFailingNvidiaSmiRemovesTheMetersUntilItAnswersAgain() throws IOException {
        meters.start(fake);
        answer("0, NVIDIA H200, 2048, 143771, 90\n", 0);
        meters.poll();
        assertThat(gpuLines()).containsExactly(
                "ember_gpu_memory_total_bytes{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 1.50754820096E11",
                "ember_gpu_memory_used_bytes{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 2.147483648E9",
                "ember_gpu_utilization_ratio{gpu=\"0\",gpu_name=\"NVIDIA H200\"} 0.9");

        answer("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", 9);
        meters.poll();
        assertThat(gpuLines()).isEmpty();

        answer(TWO_GPUS, 0);
        meters.poll();
        assertThat(gpuLines()).hasSize(5);
    }

    @Test
    void aHungNvidiaSmiIsKilledAtTheTimeoutAndLeavesNoMeters() throws IOException {
        meters = new GpuMeters(registry, config("nvidia-smi", Duration.ofHours(1), Duration.ofMillis(300)));
        meters.start(fake);
        assertThat(gpuLines()).hasSize(5);
        Files.writeString(dir.resolve("hang"), "");
        meters.poll();
        assertThat(gpuLines()).isEmpty();
    }

    @Test
    void withoutTheBinaryThereAreNoMeters() {
        meters = new GpuMeters(registry, config(dir.resolve("absent").toString(), Duration.ofSeconds(10),
                Duration.ofSeconds(5)));
        meters.onStart(null);
        assertThat(gpuLines()).isEmpty();
    }

    @Test
    void outputThatIsNotNvidiaSmisIsAFailureNotAReading() throws IOException {
        assertThatThrownBy(() -> NvidiaSmi.parse("index, name\n")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> NvidiaSmi.parse("GPU 0, x, 1, 2, 3\n")).isInstanceOf(IOException.class);
        assertThat(NvidiaSmi.parse("\n")).isEmpty();
    }

    static GpuConfig config(String binary, Duration interval, Duration timeout) {
        return new GpuConfig() {
            @Override
            public String nvidiaSmi() {
                return binary;
            }

            @Override
            public Duration pollInterval() {
                return interval;
            }

            @Override
            public Duration pollTimeout() {
                return timeout;
            }
        };
    }
}
