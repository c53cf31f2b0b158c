package org.parasol.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * This host's real ring-transition costs, which the JVM cannot show: builds the C program
 * {@code trapprobe.c} (carried in the benchmarks jar, source in {@code benchmarks/src/main/c})
 * with the system C compiler into {@code benchmarks/target/native}, runs it and reads its
 * figures — a system call ({@code getppid}), a trapped instruction handled by a signal
 * handler ({@code ud2} → {@code SIGILL} → skip the instruction → {@code rt_sigreturn}), and a
 * {@code CPUID}.
 *
 * <p>When there is no compiler ({@code cc}, {@code gcc} or {@code clang} on the {@code PATH}),
 * the build fails, or the host is not x86-64, {@link #run} returns a {@link HostCosts} whose
 * {@link HostCosts#absent} says why, and the report prints that line instead of the native and
 * modelled columns.
 */
final class NativeProbe {
    private static final String SOURCE = "trapprobe.c";
    private static final long TIMEOUT_SECONDS = 120;

    /** The host's costs in nanoseconds per operation, or why they are absent. */
    record HostCosts(double syscallNs, double sigillNs, double cpuidNs, String compiler, String absent) {
        static HostCosts missing(String why) {
            return new HostCosts(Double.NaN, Double.NaN, Double.NaN, null, why);
        }

        boolean present() {
            return absent == null;
        }
    }

    private NativeProbe() {
    }

    /**
     * Builds and runs the probe; each figure is the best of five passes of at least
     * {@code targetMs} milliseconds.
     */
    static HostCosts run(long targetMs) {
        String arch = System.getProperty("os.arch");
        if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
            return HostCosts.missing("the probe is x86-64 only (this host: " + arch + ")");
        }
        Path compiler = findCompiler();
        if (compiler == null) {
            return HostCosts.missing("no C compiler (cc, gcc or clang) on the PATH");
        }
        try {
            Path dir = outputDirectory();
            Files.createDirectories(dir);
            Path source = dir.resolve(SOURCE);
            try (InputStream in = NativeProbe.class.getResourceAsStream("/native/" + SOURCE)) {
                if (in == null) {
                    return HostCosts.missing(SOURCE + " is not in the benchmarks jar");
                }
                Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
            }
            Path binary = dir.resolve("trapprobe");
            Result build = exec(List.of(compiler.toString(), "-O2", "-o", binary.toString(), source.toString()),
                    dir.resolve("build.log"));
            if (build.code != 0) {
                return HostCosts.missing(compiler + " failed to build " + source + ": " + firstLine(build.output));
            }
            Result probe = exec(List.of(binary.toString(), Long.toString(targetMs)), dir.resolve("trapprobe.out"));
            if (probe.code != 0) {
                return HostCosts.missing("trapprobe exited with " + probe.code + ": " + firstLine(probe.output));
            }
            Map<String, Double> figures = new HashMap<>();
            for (String line : probe.output.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2) {
                    try {
                        figures.put(f[0], Double.parseDouble(f[1]));
                    } catch (NumberFormatException notAFigure) {
                        // a line of another shape: not one of ours
                    }
                }
            }
            if (!figures.containsKey("syscall") || !figures.containsKey("sigill") || !figures.containsKey("cpuid")) {
                return HostCosts.missing("trapprobe printed no figures: " + firstLine(probe.output));
            }
            return new HostCosts(figures.get("syscall"), figures.get("sigill"), figures.get("cpuid"),
                    compiler.toString(), null);
        } catch (IOException e) {
            return HostCosts.missing("native probe: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return HostCosts.missing("native probe interrupted");
        }
    }

    /** {@code <parasol.home>/benchmarks/target/native}, or a directory under java.io.tmpdir. */
    private static Path outputDirectory() {
        String home = System.getProperty("parasol.home");
        if (home != null && Files.isDirectory(Path.of(home, "benchmarks"))) {
            return Path.of(home, "benchmarks", "target", "native");
        }
        return Path.of(System.getProperty("java.io.tmpdir"), "parasol-bench-native-" + System.getProperty("user.name"));
    }

    private static Path findCompiler() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String name : List.of("cc", "gcc", "clang")) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private record Result(int code, String output) {
    }

    /** Runs {@code command} with its output in a file beside it, so a hung child cannot block us. */
    private static Result exec(List<String> command, Path log) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullDevice())).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "timed out after " + TIMEOUT_SECONDS + " s");
        }
        return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static java.io.File nullDevice() {
        return new java.io.File("/dev/null");
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        String line = nl < 0 ? t : t.substring(0, nl);
        return line.isEmpty() ? "(no output)" : line;
    }
}
