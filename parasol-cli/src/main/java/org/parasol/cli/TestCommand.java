package org.parasol.cli;

import picocli.CommandLine.Command;

/**
 * {@code parasol test}: listed for {@code --help}. The launcher script runs the suite itself
 * ({@code ./mvnw verify} with JDK 25) before any Java starts, so this class only explains.
 */
@Command(name = "test", description = "Runs the whole test suite (./mvnw verify with JDK 25).")
final class TestCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("Run the test suite through the launcher: ./parasol test");
    }
}
