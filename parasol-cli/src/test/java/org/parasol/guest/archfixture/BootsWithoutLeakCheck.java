package org.parasol.guest.archfixture;

import org.parasol.hypervisor.HostConfig;
import org.parasol.hypervisor.Hypervisor;

/**
 * A deliberately wrong test helper for the architecture tests: it boots a hypervisor and never
 * hands it to the leak check. {@code LeakCheckUseTest} shows the rule finds it; the real checks
 * leave this package out. Never called.
 */
public final class BootsWithoutLeakCheck {
    private BootsWithoutLeakCheck() {
    }

    /** The forbidden boot. */
    public static void bootAndForget() {
        Hypervisor.boot(HostConfig.defaults(1L << 20)).close();
    }
}
