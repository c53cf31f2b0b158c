package org.parasol.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.parasol.architecture.ParasolModules;

/**
 * The command line of a fresh JVM that runs {@code parasol} as the {@code ./parasol} launcher
 * does: the CLI's named module on a module path of the built Parasol modules and the jars the
 * launcher puts beside them (protobuf-java, picocli, Netty's epoll transport), taken from this
 * test's class path, and nothing else: no guest code on the host's path.
 */
final class LauncherJvm {
    private LauncherJvm() {
    }

    /** {@code java ... -m org.parasol.cli/... ARGS}, ready for a {@link ProcessBuilder}. */
    static List<String> command(String... args) {
        return command(List.of(), args);
    }

    /**
     * The same with {@code jvmOptions} before the module path (as {@code PARASOL_JAVA_OPTS}
     * gives them to the launcher), e.g. {@code -XX:TieredStopAtLevel=1} for many short runs.
     */
    static List<String> command(List<String> jvmOptions, String... args) {
        Path root = ParasolModules.root();
        List<String> classPath = List.of(System.getProperty("java.class.path").split(File.pathSeparator));
        String picocli = classPath.stream().filter(p -> p.contains("picocli")).findFirst().orElseThrow();
        String protobuf = classPath.stream().filter(p -> p.contains("protobuf-java")).findFirst().orElseThrow();
        // Netty's epoll transport (xenstored's socket): every netty jar the CLI runs with.
        List<String> netty = classPath.stream().filter(p -> Path.of(p).getFileName().toString().startsWith("netty-")).toList();
        assertThat(netty).as("Netty's jars on the test class path").isNotEmpty();
        String modulePath = String.join(File.pathSeparator, root.resolve("parasol-cli/target/classes").toString(),
                root.resolve("pv-hypervisor/target/classes").toString(), root.resolve("hypercall-api/target/classes").toString(),
                root.resolve("control-api/target/classes").toString(), protobuf, picocli, String.join(File.pathSeparator, netty));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "-Dparasol.home=" + root));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("--enable-native-access=org.parasol.hypervisor,io.netty.common",
                "--module-path", modulePath, "-m", "org.parasol.cli/org.parasol.cli.ParasolCommand"));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
