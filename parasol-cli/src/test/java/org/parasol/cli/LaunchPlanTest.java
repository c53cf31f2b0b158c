package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parasol.hypervisor.image.ImageRepository;

/** {@code <image>.launch} descriptors: the default, a multi-domain one, and each refusal. */
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
        assertThat(plan.domains()).containsExactly(new LaunchPlan.Member("hello", "hello", List.of()));
    }

    @Test
    void shouldReadTheDomainsInOrderWithTheirImagesAndDevices() throws Exception {
        LaunchPlan plan = read("""
                # a driver domain, then two front ends it serves
                domains = dd  web   db
                dd.image = hello
                web.device = pingpong:backend=dd vbd:backend=dd
                db.device = pingpong:backend=web
                """);

        assertThat(plan.domains()).containsExactly(
                new LaunchPlan.Member("dd", "hello", List.of()),
                new LaunchPlan.Member("web", "img", List.of(new LaunchPlan.Device("pingpong", "dd"),
                        new LaunchPlan.Device("vbd", "dd"))),
                new LaunchPlan.Member("db", "img", List.of(new LaunchPlan.Device("pingpong", "web"))));
        assertThat(plan.images()).containsExactly("hello", "img");
        assertThat(plan.domains().get(2).devices().get(0).value("-2")).isEqualTo("pingpong:backend=web-2");
    }

    @Test
    void shouldReadThePackagedPingpongPlan() throws LaunchException {
        LaunchPlan plan = LaunchPlan.read(ImageRepository.defaultDirectory(), "pingpong");

        assertThat(plan.domains()).containsExactly(new LaunchPlan.Member("pong", "pingpong", List.of()),
                new LaunchPlan.Member("ping", "pingpong", List.of(new LaunchPlan.Device("pingpong", "pong"))));
    }

    @Test
    void shouldRefuseAMalformedDescriptor() {
        assertThatThrownBy(() -> read("launch=offer-accept\noffer.line=x\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("domains= must list the domains");
        assertThatThrownBy(() -> read("domains=a b\nc.image=hello\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("unknown key 'c.image'");
        assertThatThrownBy(() -> read("domains=a a\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("'a' is listed twice");
        assertThatThrownBy(() -> read("domains=a ../b\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("'../b' is not a domain name");
        assertThatThrownBy(() -> read("domains=Domain-0\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("not a domain name");
        assertThatThrownBy(() -> read("domains=a b\na.device=pingpong:backend=b\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("the back end 'b' must be a domain listed before a");
        assertThatThrownBy(() -> read("domains=a b\nb.device=pingpong\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("is not KIND:backend=NAME");
        assertThatThrownBy(() -> read("domains=a b\nb.device=Ping:backend=a\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("is not KIND:backend=NAME");
        assertThatThrownBy(() -> read("domains=a b\nb.device=pingpong:devid=1\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("is not KIND:backend=NAME");
        assertThatThrownBy(() -> read("domains=" + "x ".repeat(17).replace("x ", "x%d ").formatted(
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17) + "\n"))
                .isInstanceOf(LaunchException.class).hasMessageContaining("more than 16 domains");
    }
}
