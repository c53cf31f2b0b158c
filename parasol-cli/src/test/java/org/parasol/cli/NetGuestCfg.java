package org.parasol.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The config file the net run tests give `parasol run` for a guest of 8 MiB with one vif on xenbr0. */
final class NetGuestCfg {
    private NetGuestCfg() {
    }

    /** Writes {@code dir/name.cfg}: {@code name}, {@code kernel}, 8 MiB, {@code cmdline}, {@code vif=[ 'bridge=xenbr0' ]}. */
    static Path write(Path dir, String name, String kernel, String cmdline) throws IOException {
        Path p = dir.resolve(name + ".cfg");
        Files.writeString(p, "name='" + name + "'\nkernel='" + kernel + "'\nmemory=8\ncmdline='" + cmdline + "'\nvif=[ 'bridge=xenbr0' ]\n");
        return p;
    }
}
