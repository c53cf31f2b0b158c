package org.parasol.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the host runs with. parasol-cli's runtime dependencies are what the build copies into
 * {@code target/lib}, where the launcher takes its module path from; Maven writes the list
 * to {@code target/runtime-dependencies.txt} before the tests run (the same resolution as the
 * copy). No guest code may be on it: images, dom0's included, are loaded by name from folders
 * of their own by the hypervisor's class loaders.
 */
class RuntimeClassPathTest {

    /** Guest code: the guest kernel, the drivers, dom0's image and the example images. */
    private static final List<String> GUEST_ARTIFACTS =
            List.of("pv-guest-kernel", "split-drivers", "pv-toolstack", "examples");

    private static final Pattern LISTED = Pattern.compile("^\\s+([^:\\s]+):([^:\\s]+):\\S+");

    /** {@code groupId:artifactId} of every runtime dependency, from Maven's list. */
    private static List<String> runtimeArtifacts() throws IOException {
        Path list = ParasolModules.root().resolve("parasol-cli/target/runtime-dependencies.txt");
        assertThat(list).as("written by the dependency plugin's list goal (generate-test-resources)").isRegularFile();
        List<String> artifacts = new ArrayList<>();
        for (String line : Files.readAllLines(list)) {
            Matcher m = LISTED.matcher(line);
            if (m.find()) {
                artifacts.add(m.group(1) + ":" + m.group(2));
            }
        }
        return artifacts;
    }

    /** The jar-name patterns the launcher puts on the module path ({@code case ... in a-*|b-*) ...}). */
    private static List<String> launcherModulePathPatterns() throws IOException {
        String script = Files.readString(ParasolModules.root().resolve("parasol"));
        Matcher m = Pattern.compile("(?m)^\\s+((?:[\\w.-]+-\\*\\|)*[\\w.-]+-\\*)\\) modpath=").matcher(script);
        assertThat(m.find()).as("the launcher's module-path case in ./parasol").isTrue();
        return List.of(m.group(1).split("\\|"));
    }

    @Test
    @DisplayName("the CLI's runtime class path holds the hypervisor, hypercall-api, the control API, protobuf and picocli, and no guest jar")
    void shouldKeepGuestJarsOffTheHostsPath() throws IOException {
        List<String> artifacts = runtimeArtifacts();

        assertThat(artifacts).as("what the list resolved (a list that parses to nothing proves nothing)")
                .contains("org.parasol:pv-hypervisor", "org.parasol:hypercall-api", "org.parasol:control-api",
                        "com.google.protobuf:protobuf-java", "info.picocli:picocli");
        for (String guest : GUEST_ARTIFACTS) {
            assertThat(artifacts).as("guest code on the host's path").doesNotContain("org.parasol:" + guest);
        }
        assertThat(artifacts).filteredOn(a -> a.startsWith("org.parasol:"))
                .as("the only Parasol code the host runs").containsExactlyInAnyOrder(
                        "org.parasol:pv-hypervisor", "org.parasol:hypercall-api", "org.parasol:control-api");
    }

    @Test
    @DisplayName("the launcher's module path is exactly the runtime dependencies and the CLI: nothing left behind, nothing extra")
    void shouldMatchTheLaunchersModulePath() throws IOException {
        List<String> artifactIds = runtimeArtifacts().stream().map(a -> a.substring(a.indexOf(':') + 1)).toList();
        List<String> patterns = launcherModulePathPatterns();

        for (String id : artifactIds) {
            assertThat(patterns).as("a launcher pattern for %s", id).contains(id + "-*");
        }
        for (String p : patterns) {
            assertThat(artifactIds).as("a runtime dependency the launcher's pattern %s picks", p)
                    .contains(p.substring(0, p.length() - 2));
        }
    }
}
