package org.parasol.examples.shell;

import java.util.Locale;

import org.parasol.guest.console.ConsoleInput;
import org.parasol.guest.kernel.ApplicationKernel;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.sched.Promise;

/**
 * shell: a guest that reads its console. Each line typed at {@code parasol console} (or after
 * {@code parasol create -c}) arrives through {@link Kernel#consoleInput()} — the PV console ring,
 * or in a native configuration COM1's receive interrupt — and is answered on the console:
 *
 * <pre>
 *  help            the commands
 *  echo TEXT       TEXT
 *  uptime          time since boot
 *  lines           lines and bytes read so far
 *  poweroff        the domain shuts down (poweroff); on_poweroff decides what happens
 * </pre>
 *
 * <p>Expected console output, typing {@code echo hi} then {@code poweroff}:
 * <pre>
 * shell: ready; type help (Ctrl-] detaches)
 * shell> echo hi
 * hi
 * shell> poweroff
 * shell: bye
 * </pre>
 *
 * <p>A domain built by the launcher or dom0 itself has no console ring: the shell says so and
 * ends.
 */
public final class ShellKernel extends ApplicationKernel {

    /** The kernel class an image names needs a public no-argument constructor. */
    public ShellKernel() {
    }

    @Override
    public Promise<?> main(Kernel k) {
        Promise<Void> done = k.loop().promise();
        if (!k.hasConsoleRing()) {
            k.println("shell: this domain has no console ring (start it with parasol create)");
            done.complete(null);
            return done;
        }
        ConsoleInput input = k.consoleInput();
        long start = k.now();
        input.onLine(line -> {
            String cmd = line.strip();
            k.println("shell> " + cmd);
            String word = cmd.isEmpty() ? "" : cmd.split("\\s+", 2)[0];
            switch (word) {
                case "" -> { }
                case "help" -> k.println("commands: help, echo TEXT, uptime, lines, poweroff");
                case "echo" -> k.println(cmd.length() > 4 ? cmd.substring(5) : "");
                case "uptime" -> k.println(String.format(Locale.ROOT, "up %.3f s", (k.now() - start) / 1e9));
                case "lines" -> k.println(input.linesRead() + " lines, " + input.bytesRead() + " bytes read");
                case "poweroff" -> {
                    k.println("shell: bye");
                    done.complete(null);
                }
                default -> k.println("shell: unknown command '" + word + "'; type help");
            }
        });
        k.println("shell: ready; type help (Ctrl-] detaches)");
        return done;
    }
}
