package org.parasol.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.parasol.hypervisor.testing.LeakCheck;
import picocli.CommandLine;

/**
 * What {@code parasol run ARGS} did, run in this JVM: its exit status and what it printed.
 *
 * @param status the exit status
 * @param out    standard output: the consoles and the summary
 * @param err    standard error
 */
record RunOutcome(int status, String out, String err) {

    /**
     * Parses {@code args} as the command line does and runs the command to its end; then
     * checks that the run left nothing behind ({@link LeakCheck}), which fails the caller.
     */
    static RunOutcome of(String... args) {
        return of(null, hv -> { }, args);
    }

    /** {@link #of(String...)} on a host with {@code limits} (null: this host's own). */
    static RunOutcome of(org.parasol.hypervisor.HostLimits limits, String... args) {
        return of(limits, hv -> { }, args);
    }

    /** As {@link #of(String...)}, with {@code booted} told of the hypervisor right after it boots. */
    static RunOutcome of(java.util.function.Consumer<org.parasol.hypervisor.Hypervisor> booted, String... args) {
        return of(null, booted, args);
    }

    /** The general form: {@code limits} (null: this host's own) and {@code booted}. */
    static RunOutcome of(org.parasol.hypervisor.HostLimits limits,
            java.util.function.Consumer<org.parasol.hypervisor.Hypervisor> booted, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        RunCommand cmd = new RunCommand();
        new CommandLine(cmd).parseArgs(args);
        if (limits != null) {
            cmd.limits = () -> limits;
        }
        LeakCheck leaks = new LeakCheck();
        cmd.booted = hv -> {
            leaks.track(hv);
            booted.accept(hv);
        };
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = cmd.run(o, e);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AssertionError(ex);
        }
        leaks.verify();
        return new RunOutcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
