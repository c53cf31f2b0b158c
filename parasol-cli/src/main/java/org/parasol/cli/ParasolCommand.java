package org.parasol.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code parasol} command: {@code xl}-like verbs that boot a host in-process or talk to
 * a running one. The launcher script {@code ./parasol} finds JDK 25, builds the project when
 * needed and runs this class; it handles {@code test} itself.
 */
@Command(name = "parasol",
        mixinStandardHelpOptions = true,
        versionProvider = ParasolCommand.Version.class,
        description = "A Xen-style paravirtualization framework for the JVM.",
        subcommands = {
            RunCommand.class,
            HostCommand.class,
            XlVerbs.Create.class,
            XlVerbs.ListVerb.class,
            XlVerbs.Console.class,
            XlVerbs.Destroy.class,
            XlVerbs.ShutdownVerb.class,
            XlVerbs.Reboot.class,
            XlVerbs.Pause.class,
            XlVerbs.Unpause.class,
            XlVerbs.Rename.class,
            XlVerbs.Info.class,
            XlVerbs.Uptime.class,
            XlVerbs.Dmesg.class,
            XlVerbs.Top.class,
            XlVerbs.BlockAttach.class,
            XlVerbs.BlockDetach.class,
            XlVerbs.BlockList.class,
            XlVerbs.NetworkAttach.class,
            XlVerbs.NetworkDetach.class,
            XlVerbs.NetworkList.class,
            BenchCommand.class,
            TestCommand.class,
            ControlFiguresCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class ParasolCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new ParasolCommand());
        // A failure nobody foresaw is one line, not a stack trace (PARASOL_DEBUG=1 shows the trace).
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if ("1".equals(System.getenv("PARASOL_DEBUG"))) {
                throw e;
            }
            line.getErr().println("parasol " + line.getCommandName() + ": " + e
                    + " (PARASOL_DEBUG=1 shows where)");
            return 1;
        });
        System.exit(cl.execute(args));
    }

    /** Reports the project version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = ParasolCommand.class.getPackage().getImplementationVersion();
            return new String[] {"parasol " + (v == null ? "(development build)" : v)};
        }
    }
}
