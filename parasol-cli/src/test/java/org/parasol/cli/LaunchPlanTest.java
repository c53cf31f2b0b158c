package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code <image>.launch} descriptors: the default, a full one, and each refusal. */
class LaunchPlanTest {
    @TempDir
    Path dir;

    private LaunchPlan read(String text) throws IOException, LaunchException {
        Files.writeString(dir.resolve("img.launch"), text);
        return LaunchPlan.read(dir, "img");
    }

    @Test
    void shouldLaunchOneDomainNamedAfterTheImageWithoutAFile() throws LaunchException {
        LaunchPlan plan = LaunchPlan.read(dir, "hello");

        assertThat(plan).isEqualTo(LaunchPlan.single("hello"));
        assertThat(plan.kind().domains()).isEqualTo(1);
        assertThat(plan.offerName()).isEqualTo("hello");
    }

    @Test
    void shouldReadAnOfferAcceptPlan() throws Exception {
        LaunchPlan plan = read("""
                # comment
                launch=offer-accept
                offer.line=img: offer
                offer.timeout=7
                offer.name=left
                accept.name=right
                """);

        assertThat(plan).isEqualTo(new LaunchPlan(LaunchPlan.Kind.OFFER_ACCEPT, "img: offer ", Duration.ofSeconds(7),
                "left", "right"));
        assertThat(plan.kind().domains()).isEqualTo(2);
    }

    @Test
    void shouldDefaultTheTimeoutAndTheNames() throws Exception {
        LaunchPlan plan = read("launch=offer-accept\noffer.line=x: offer\n");

        assertThat(plan.timeout()).isEqualTo(LaunchPlan.DEFAULT_TIMEOUT);
        assertThat(plan.offerName()).isEqualTo("img-offer");
        assertThat(plan.acceptName()).isEqualTo("img-accept");
    }

    @Test
    void shouldReadAnExplicitSinglePlan() throws Exception {
        assertThat(read("launch=single\n")).isEqualTo(LaunchPlan.single("img"));
    }

    @Test
    void shouldRefuseMalformedPlansSayingWhy() {
        assertThatThrownBy(() -> read("launch=offer-accept\noffer.line=x\nofer.timeout=3\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("unknown key 'ofer.timeout'");
        assertThatThrownBy(() -> read("launch=triple\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("launch=triple must be single or offer-accept");
        assertThatThrownBy(() -> read("launch=offer-accept\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("needs offer.line");
        assertThatThrownBy(() -> read("launch=offer-accept\noffer.line=x\noffer.timeout=0\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("offer.timeout=0 must be 1..3600 seconds");
        assertThatThrownBy(() -> read("launch=offer-accept\noffer.line=x\noffer.timeout=soon\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("offer.timeout=soon");
        assertThatThrownBy(() -> read("launch=offer-accept\noffer.line=x\noffer.name=a\naccept.name=a\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("must differ");
    }
}
