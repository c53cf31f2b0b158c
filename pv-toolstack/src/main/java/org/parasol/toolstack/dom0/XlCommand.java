package org.parasol.toolstack.dom0;

import java.util.ArrayList;
import java.util.List;

/**
 * One line typed at dom0's console, read as the few {@code xl} verbs dom0 carries out
 * (deviation 15: dom0 has no shell, so its console takes them):
 *
 * <pre>
 *  xl shutdown [-a] [-w] [-F] &lt;name|domid&gt;   write "poweroff" to the domain's control/shutdown;
 *                                              destroy it if it has not shut down within
 *                                              dom0's shutdown_timeout
 *  xl reboot   [-a] [-w] [-F] &lt;name|domid&gt;   the same with "reboot" (on_reboot then decides)
 *  xl destroy  &lt;name|domid&gt;                  destroy it now, without asking
 *  xl list                                     the domains, as xl lists them
 *  xl block-attach &lt;name|domid&gt; &lt;disk spec&gt;   add a disk to a running domain; the spec as in
 *                                              xl.cfg, its words joined by commas
 *                                              (vdev=xvdb access=rw target=/path/img)
 *  xl block-detach &lt;name|domid&gt; &lt;vdev|devid&gt;  remove it: the back end closes (its front end
 *                                              fails what is in flight), then the nodes go
 *  xl block-list   &lt;name|domid&gt;               the domain's disks and both ends' states
 *  xl network-attach &lt;name|domid&gt; [vif spec]   add a vif (mac=, bridge=, ip=; xenbr0 by default)
 *  xl network-detach &lt;name|domid&gt; &lt;devid|mac&gt; remove it, as block-detach removes a disk
 *  xl network-list &lt;name|domid&gt;               the domain's vifs and both ends' states
 *  xl mem-set &lt;name|domid&gt; &lt;mem&gt;          the domain's balloon target (memory/target), at most
 *                                              its maxmem; mem in xl's units (default MiB, or a
 *                                              k, m, g, t or b suffix)
 *  xl vcpu-set &lt;name|domid&gt; &lt;n&gt;            vCPUs 0..n-1 online, the rest up to maxvcpus offline
 *                                              (cpu/K/availability)
 *  xl rename &lt;name|domid&gt; &lt;new name&gt;          give a running domain another name (its
 *                                              {@code name} nodes in the store, dom0's records)
 *  xl devstat                                  every domain's disk and vif counters, one line
 *                                              each (Parasol's: what xentop reads from dom0's
 *                                              sysfs and /proc/net/dev; the control API's top)
 *  xl create [-p] &lt;domain line&gt;               build a domain now: one line of dom0's boot-module
 *                                              format ({@link DomainList}), up to
 *                                              {@link #CREATE_LINE_MAX} bytes (the control API's
 *                                              create, which the host types for its client);
 *                                              {@code -p} leaves it paused, as xl's does
 * </pre>
 *
 * <p>Options as xl's {@code getopt} takes them: {@code -a} ({@code --all}: every domain but
 * dom0), {@code -w} ({@code --wait}: say when each has shut down), {@code -F} (xl's fallback to
 * an ACPI event for a guest without PV drivers: accepted, and changes nothing, since every
 * Parasol domain has the PV control node); short options may be combined ({@code -aw}).
 *
 * <p>The line is hostile input: {@link #parse} reads at most {@link #LINE_MAX} characters of
 * printable ASCII (the console reader refuses anything else before it gets here), takes at most
 * {@link #WORDS_MAX} words, never echoes more than a short, sanitized quote of what it refused,
 * and answers every mistake with one line.
 *
 * @param verb   the verb
 * @param all    {@code -a}: every domain
 * @param waitForEnd {@code -w}: report each domain's end
 * @param domain the domain named (a name or a decimal id), or null with {@code -a} and for list
 * @param device the device argument, or the domain line of {@code create}
 * @param paused {@code create -p}: the domain is built and left paused
 */
record XlCommand(Verb verb, boolean all, boolean waitForEnd, String domain, String device, boolean paused) {
    /** A command without a device argument. */
    XlCommand(Verb verb, boolean all, boolean waitForEnd, String domain) {
        this(verb, all, waitForEnd, domain, null);
    }

    /** A command that is not {@code create -p}. */
    XlCommand(Verb verb, boolean all, boolean waitForEnd, String domain, String device) {
        this(verb, all, waitForEnd, domain, device, false);
    }

    /** The longest line dom0 reads, in bytes. */
    static final int LINE_MAX = 256;
    /** The longest {@code xl create} line, in bytes: a domain's boot-module line and the verb. */
    static final int CREATE_LINE_MAX = 2048;
    /** What an {@code xl create} line starts with. */
    static final String CREATE_PREFIX = "xl create ";
    /** The most words a line may have. */
    static final int WORDS_MAX = 8;
    /** The usage line an unknown line is answered with. */
    static final String USAGE = "xl shutdown|reboot [-a] [-w] [-F] <name|domid>, xl destroy <name|domid>, xl list,"
            + " xl block-attach <name|domid> <disk spec>, xl block-detach <name|domid> <vdev>, xl block-list <name|domid>";
    // network-attach, -detach and -list are left out of the usage line: a refusal fits one
    // console line of 300 characters (the class comment lists them).

    /** The verbs dom0 takes. */
    enum Verb {
        SHUTDOWN("shutdown"), REBOOT("reboot"), DESTROY("destroy"), LIST("list"), BLOCK_ATTACH("block-attach"),
        BLOCK_DETACH("block-detach"), BLOCK_LIST("block-list"), NETWORK_ATTACH("network-attach"),
        NETWORK_DETACH("network-detach"), NETWORK_LIST("network-list"), CREATE("create"), RENAME("rename"),
        MEM_SET("mem-set"), VCPU_SET("vcpu-set"), DEVSTAT("devstat");

        final String word;

        Verb(String word) {
            this.word = word;
        }

        static Verb of(String word) {
            for (Verb v : values()) {
                if (v.word.equals(word)) {
                    return v;
                }
            }
            return null;
        }
    }

    /** A line dom0 cannot carry out; the message is the one-line answer. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The command {@code line} asks for, or null for a blank line.
     *
     * @throws Refused with the one-line answer for anything else
     */
    static XlCommand parse(String line) throws Refused {
        if (line.length() > CREATE_LINE_MAX) {
            throw new Refused("a line longer than " + CREATE_LINE_MAX + " bytes is not read");
        }
        String lead = line.stripLeading();
        if (lead.startsWith(CREATE_PREFIX)) {
            // The domain's line is read as a boot-module line is (DomainList), words and all.
            String spec = lead.substring(CREATE_PREFIX.length()).strip();
            boolean paused = spec.equals("-p") || spec.startsWith("-p ") || spec.startsWith("-p\t");
            if (paused) {
                spec = spec.substring(2).strip();
            }
            if (spec.isEmpty()) {
                throw new Refused("create: <domain line>, e.g. name=web image=hello memory=4096 vcpus=1");
            }
            if (!spec.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f || ch == '\t')) {
                throw new Refused("create: the domain line must be printable ASCII");
            }
            return new XlCommand(Verb.CREATE, false, false, null, spec, paused);
        }
        if (line.length() > LINE_MAX) {
            throw new Refused("a line longer than " + LINE_MAX + " bytes is not read");
        }
        List<String> words = new ArrayList<>();
        for (String w : line.strip().split("[ \t]+")) {
            if (!w.isEmpty()) {
                if (words.size() == WORDS_MAX) {
                    throw new Refused("more than " + WORDS_MAX + " words");
                }
                words.add(w);
            }
        }
        if (words.isEmpty()) {
            return null;
        }
        if (!words.get(0).equals("xl")) {
            throw new Refused("not an xl command: '" + quote(line.strip()) + "'; dom0's console takes " + USAGE);
        }
        if (words.size() == 1) {
            throw new Refused("which command? " + USAGE);
        }
        Verb verb = Verb.of(words.get(1));
        if (verb == null) {
            throw new Refused("command '" + quote(words.get(1)) + "' is not one dom0 carries out; " + USAGE);
        }
        boolean all = false;
        boolean wait = false;
        List<String> args = new ArrayList<>();
        for (String w : words.subList(2, words.size())) {
            if (!w.startsWith("-") || w.equals("-")) {
                args.add(w);
                continue;
            }
            String allowed = switch (verb) {
                case SHUTDOWN, REBOOT -> "awF";
                case DESTROY, LIST, BLOCK_ATTACH, BLOCK_DETACH, BLOCK_LIST, NETWORK_ATTACH, NETWORK_DETACH,
                        NETWORK_LIST, CREATE, RENAME, MEM_SET, VCPU_SET, DEVSTAT -> "";
            };
            if (w.equals("--all") && !allowed.isEmpty()) {
                all = true;
                continue;
            }
            if (w.equals("--wait") && !allowed.isEmpty()) {
                wait = true;
                continue;
            }
            if (w.startsWith("--")) {
                throw new Refused(verb.word + ": unknown option '" + quote(w) + "'");
            }
            for (int i = 1; i < w.length(); i++) {
                char c = w.charAt(i);
                if (allowed.indexOf(c) < 0) {
                    throw new Refused(verb.word + ": unknown option '-" + quote(String.valueOf(c)) + "'");
                }
                all |= c == 'a';
                wait |= c == 'w';
            }
        }
        switch (verb) {
            case CREATE -> throw new Refused("create: <domain line>, e.g. name=web image=hello memory=4096 vcpus=1");
            case LIST -> {
                if (!args.isEmpty()) {
                    throw new Refused("list: dom0 lists every domain; no arguments");
                }
                return new XlCommand(verb, false, false, null);
            }
            case DEVSTAT -> {
                if (!args.isEmpty()) {
                    throw new Refused("devstat: every domain's devices; no arguments");
                }
                return new XlCommand(verb, false, false, null);
            }
            case DESTROY -> {
                if (args.size() != 1) {
                    throw new Refused("destroy: name one domain");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)));
            }
            case BLOCK_LIST -> {
                if (args.size() != 1) {
                    throw new Refused("block-list: name one domain");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)));
            }
            case BLOCK_ATTACH -> {
                if (args.size() < 2) {
                    throw new Refused("block-attach: <domain> <disk spec>, e.g. vdev=xvdb access=rw target=/path/img");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)),
                        String.join(",", args.subList(1, args.size())));
            }
            case MEM_SET -> {
                if (args.size() != 2) {
                    throw new Refused("mem-set: <domain> <mem>, e.g. 64m");
                }
                if (parseMemSizeKiB(args.get(1)) < 0) {
                    throw new Refused("mem-set: invalid memory size: " + quote(args.get(1)));
                }
                return new XlCommand(verb, false, false, domain(args.get(0)), args.get(1));
            }
            case VCPU_SET -> {
                if (args.size() != 2) {
                    throw new Refused("vcpu-set: <domain> <vcpus>");
                }
                if (!args.get(1).matches("[0-9]{1,9}")) {
                    throw new Refused("vcpu-set: Invalid argument " + quote(args.get(1)));
                }
                return new XlCommand(verb, false, false, domain(args.get(0)), args.get(1));
            }
            case NETWORK_LIST -> {
                if (args.size() != 1) {
                    throw new Refused("network-list: name one domain");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)));
            }
            case NETWORK_ATTACH -> {
                if (args.isEmpty()) {
                    throw new Refused("network-attach: <domain> [vif spec], e.g. bridge=xenbr0 mac=00:16:3e:00:00:09");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)),
                        String.join(",", args.subList(1, args.size())));
            }
            case NETWORK_DETACH -> {
                if (args.size() != 2) {
                    throw new Refused("network-detach: <domain> <devid|mac>");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)), args.get(1));
            }
            case RENAME -> {
                if (args.size() != 2) {
                    throw new Refused("rename: <domain> <new name>");
                }
                String name = args.get(1);
                if (name.length() > DomainSpec.NAME_MAX || !name.matches("[A-Za-z0-9_.-]+") || name.equals("Domain-0")) {
                    throw new Refused("rename: '" + quote(name) + "' is not a name: 1 to " + DomainSpec.NAME_MAX
                            + " of [A-Za-z0-9_.-], not Domain-0");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)), name);
            }
            case BLOCK_DETACH -> {
                if (args.size() != 2) {
                    throw new Refused("block-detach: <domain> <vdev|devid>");
                }
                return new XlCommand(verb, false, false, domain(args.get(0)), args.get(1));
            }
            default -> {
                if (all) {
                    if (!args.isEmpty()) {
                        throw new Refused(verb.word + ": -a takes no domain");
                    }
                    return new XlCommand(verb, true, wait, null);
                }
                if (args.size() != 1) {
                    throw new Refused(verb.word + ": you must specify -a or a domain id");
                }
                return new XlCommand(verb, false, wait, domain(args.get(0)));
            }
        }
    }

    /**
     * xl's {@code parse_mem_size_kb}: a decimal number with an optional unit, {@code t},
     * {@code g}, {@code m} (the default) or {@code k}, or {@code b} for bytes; KiB, or -1 for
     * anything else (a number past 2^40 KiB included, which xl would let overflow).
     */
    static long parseMemSizeKiB(String mem) {
        int end = 0;
        while (end < mem.length() && mem.charAt(end) >= '0' && mem.charAt(end) <= '9') {
            end++;
        }
        if (end == 0 || end > 15 || mem.length() - end > 1) {
            return -1;
        }
        long n = Long.parseLong(mem.substring(0, end));
        int shift = switch (end == mem.length() ? 'm' : Character.toLowerCase(mem.charAt(end))) {
            case 't' -> 30;
            case 'g' -> 20;
            case 'm' -> 10;
            case 'k' -> 0;
            case 'b' -> -10;
            default -> Integer.MIN_VALUE;
        };
        if (shift == Integer.MIN_VALUE) {
            return -1;
        }
        long kib = shift >= 0 ? n << shift : n >>> 10;
        return shift >= 0 && (n > (1L << 40) >>> shift) ? -1 : kib;
    }

    /** A domain's name ({@code [A-Za-z0-9_.-]}, 1-64) or decimal id. */
    private static String domain(String word) throws Refused {
        if (word.isEmpty() || word.length() > DomainSpec.NAME_MAX || !word.matches("[A-Za-z0-9_.-]+")) {
            throw new Refused("'" + quote(word) + "' is an invalid domain identifier");
        }
        return word;
    }

    /** At most 32 characters of {@code s}, printable ASCII only, for an answer. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < 32; i++) {
            char c = s.charAt(i);
            sb.append(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
        }
        return s.length() > 32 ? sb + "..." : sb.toString();
    }
}
