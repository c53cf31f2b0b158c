package org.parasol.guest.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * An image's parameters on the kernel command line, declared once and parsed in one pass, as
 * Linux's {@code parse_args} parses the command line against its {@code __setup} and
 * {@code module_param} tables:
 *
 * <pre>
 *  boolean[] source = {false};
 *  long[] rounds = {2000};
 *  new CommandLine("netbench")
 *          .choice("role", v -&gt; source[0] = v.equals("source"), "sink", "source")
 *          .number("rounds", 1, 1_000_000, v -&gt; rounds[0] = v)
 *          .parse(k.commandLine());
 * </pre>
 *
 * <p>The line is cut into words at blanks (any character up to and including the space; no
 * quoting). A word is {@code key=value} (split at its first {@code =}) or a bare {@code key}.
 * Each word reaches its parameter's setter in the order the words come, so a key given twice
 * takes its last value. The kernel's own parameters ({@link #KERNEL_PARAMS}, which
 * {@link Kernel} reads) may be on any image's line and are passed over here. As Linux names a
 * module's parameter {@code module.param}, a key may name its image: {@code ticker.ticks=3} is
 * ticker's {@code ticks=3}, and passed over by any other image, so that one line can carry
 * the words of several images (a run of two images gets one {@code --cmdline}).
 *
 * <p>Refusals, each a {@link BadParameter} whose message starts with the image's name: every
 * word whose key the image did not declare, all named in one message, before any setter runs;
 * a number that is not plain decimal digits or is out of its range, naming the key and the
 * range; a value for a flag, or a bare word for a parameter that needs a value; a choice not
 * among its values. An {@link IllegalArgumentException} a setter throws (the image's own check
 * of a value) comes out as a {@code BadParameter} too, with the word at fault. The words come
 * from whoever built the domain: nothing in them makes the parser throw anything else.
 *
 * <p>Invariants: used at boot on one vCPU's thread; holds no state between images (no statics
 * but constants).
 */
public final class CommandLine {
    /** {@code clock=pit}: a native kernel ticks on the 8254 PIT instead of the local APIC timer. */
    public static final String CLOCK = "clock";
    /** The kernel's own parameters: every image's command line may carry them, and {@link #parse} passes them over. */
    public static final List<String> KERNEL_PARAMS = List.of(CLOCK);
    /** The most characters of a word or value quoted in a message. */
    private static final int QUOTE = 40;

    /** How a declared parameter takes its word. */
    private enum Kind {
        /** {@code key=value}; the setter gets the value. */
        VALUE,
        /** A bare {@code key}. */
        FLAG,
        /** Someone else's: accepted in either form, nothing done. */
        OTHER
    }

    private record Param(Kind kind, Consumer<String> set) {
    }

    private final String owner;
    private final Map<String, Param> params = new LinkedHashMap<>();

    /** A parser for the image {@code owner}, whose name starts each refusal's message. */
    public CommandLine(String owner) {
        this.owner = Objects.requireNonNull(owner, "owner");
    }

    /**
     * {@code key=N}: a decimal number in {@code min..max} (digits only, no sign, no leading zero),
     * handed to {@code set}.
     *
     * @throws IllegalArgumentException if {@code min} is negative or above {@code max}
     */
    public CommandLine number(String key, long min, long max, LongConsumer set) {
        Objects.requireNonNull(set, "set");
        checkRange(key, min, max);
        return declare(key, Kind.VALUE, v -> set.accept(decimal(key, v, min, max)));
    }

    private static void checkRange(String key, long min, long max) {
        if (min < 0 || min > max) {
            throw new IllegalArgumentException(key + ": the range " + min + ".." + max + " is not one of decimal numbers");
        }
    }

    /**
     * {@code key=N,N,...}: one or more comma-separated decimal numbers, each in {@code min..max},
     * handed to {@code set} in order (a list of sizes, say).
     */
    public CommandLine numbers(String key, int min, int max, Consumer<int[]> set) {
        Objects.requireNonNull(set, "set");
        checkRange(key, min, max);
        return declare(key, Kind.VALUE, v -> {
            if (v.isEmpty() || v.charAt(0) == ',' || v.charAt(v.length() - 1) == ',' || v.contains(",,")) {
                throw new BadParameter(key + " is not a comma-separated list of decimal numbers: '" + quote(v) + "'");
            }
            List<String> parts = split(v, ',');
            int[] out = new int[parts.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) decimal(key, parts.get(i), min, max);
            }
            set.accept(out);
        });
    }

    /** {@code key=TEXT}: the text (possibly empty) handed to {@code set}, which may refuse it with an {@link IllegalArgumentException}. */
    public CommandLine string(String key, Consumer<String> set) {
        return declare(key, Kind.VALUE, Objects.requireNonNull(set, "set"));
    }

    /** {@code key=V}: one of {@code values}, handed to {@code set}. */
    public CommandLine choice(String key, Consumer<String> set, String... values) {
        Objects.requireNonNull(set, "set");
        List<String> allowed = List.of(values);
        if (allowed.isEmpty()) {
            throw new IllegalArgumentException(key + ": a choice of nothing");
        }
        return declare(key, Kind.VALUE, v -> {
            if (!allowed.contains(v)) {
                throw new BadParameter(key + " must be " + String.join(", ", allowed) + ": '" + quote(v) + "'");
            }
            set.accept(v);
        });
    }

    /** A bare {@code key}: {@code set} runs when it is there. */
    public CommandLine flag(String key, Runnable set) {
        Objects.requireNonNull(set, "set");
        return declare(key, Kind.FLAG, v -> set.run());
    }

    /**
     * Keys that are someone else's on the same line (a library the image hands the line to, or
     * the other image of a pair given one line), accepted in either form and not looked at.
     */
    public CommandLine others(String... keys) {
        for (String key : keys) {
            declare(key, Kind.OTHER, v -> { });
        }
        return this;
    }

    private CommandLine declare(String key, Kind kind, Consumer<String> set) {
        Objects.requireNonNull(key, "key");
        if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('.') >= 0 || blank(key) || KERNEL_PARAMS.contains(key)) {
            throw new IllegalArgumentException("not a key an image may declare: '" + key + "'");
        }
        if (params.putIfAbsent(key, new Param(kind, set)) != null) {
            throw new IllegalArgumentException(key + " is declared twice");
        }
        return this;
    }

    /**
     * Parses {@code line} (null is an empty line): refuses it whole if a word's key is unknown,
     * else hands each word to its parameter in order.
     *
     * @throws BadParameter naming every unknown word, or the first word whose value is refused
     */
    public void parse(String line) {
        List<String> words = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String word : split(line == null ? "" : line, ' ')) {
            String key = key(word);
            int dot = key.indexOf('.');
            if (dot > 0 && dot < key.length() - 1) { // image.param; a bare '.', '.x' or 'x.' names no image: unknown
                if (!key.substring(0, dot).equals(owner)) {
                    continue; // another image's
                }
                word = word.substring(dot + 1);
                key = key.substring(dot + 1);
            }
            if (!params.containsKey(key) && !KERNEL_PARAMS.contains(key)) {
                unknown.add("'" + quote(word) + "'");
            }
            words.add(word);
        }
        if (!unknown.isEmpty()) {
            throw new BadParameter(owner + ": unknown " + (unknown.size() == 1 ? "parameter " : "parameters ")
                    + String.join(", ", unknown) + "; " + owner + " takes " + (params.isEmpty() ? "none" : String.join(", ", params.keySet()))
                    + " (and the kernel's " + String.join(", ", KERNEL_PARAMS) + ")");
        }
        for (String word : words) {
            String key = key(word);
            Param p = params.get(key);
            if (p == null || p.kind() == Kind.OTHER) {
                continue;
            }
            boolean bare = key.length() == word.length();
            if (p.kind() == Kind.FLAG && !bare) {
                throw new BadParameter(owner + ": " + key + " takes no value: '" + quote(word) + "'");
            }
            if (p.kind() == Kind.VALUE && bare) {
                throw new BadParameter(owner + ": " + key + " needs a value (" + key + "=...)");
            }
            String value = bare ? "" : word.substring(key.length() + 1);
            try {
                p.set().accept(value);
            } catch (BadParameter e) {
                throw new BadParameter(owner + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new BadParameter(owner + ": '" + quote(word) + "': " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code text} as a decimal number in {@code min..max}: digits only, no sign, no leading
     * zero, for an image's own values (a size with a suffix, an element of a list).
     *
     * @throws BadParameter naming {@code key}: not such a number, or out of the range
     */
    public static long decimal(String key, String text, long min, long max) {
        int n = text == null ? 0 : text.length();
        boolean digits = n > 0 && !(n > 1 && text.charAt(0) == '0');
        for (int i = 0; digits && i < n; i++) {
            char c = text.charAt(i);
            digits = c >= '0' && c <= '9';
        }
        if (!digits) {
            throw new BadParameter(key + " is not a decimal number: '" + quote(text) + "'");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            int d = text.charAt(i) - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                throw new BadParameter(key + " " + quote(text) + " is out of range " + min + ".." + max);
            }
            v = v * 10 + d;
        }
        if (v < min || v > max) {
            throw new BadParameter(key + " " + v + " is out of range " + min + ".." + max);
        }
        return v;
    }

    private static String key(String word) {
        int eq = word.indexOf('=');
        return eq < 0 ? word : word.substring(0, eq);
    }

    /** The non-empty pieces of {@code s} between separators (for ' ': blanks, any character up to the space). */
    private static List<String> split(String s, char separator) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSeparator(s.charAt(i), separator)) {
                i++;
            }
            int start = i;
            while (i < n && !isSeparator(s.charAt(i), separator)) {
                i++;
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    private static boolean isSeparator(char c, char separator) {
        return separator == ' ' ? c <= ' ' : c == separator;
    }

    private static boolean blank(String key) {
        for (int i = 0; i < key.length(); i++) {
            if (key.charAt(i) <= ' ') {
                return true;
            }
        }
        return false;
    }

    /** {@code s} cut to {@value #QUOTE} characters for a message. */
    private static String quote(String s) {
        return s == null ? "" : s.length() <= QUOTE ? s : s.substring(0, QUOTE) + "...";
    }

    /** A command line the image refuses: the message says which word and why. */
    public static final class BadParameter extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        /** A refusal an image's setter throws: {@link #parse} puts the image's name before {@code message}. */
        public BadParameter(String message) {
            super(message);
        }

        BadParameter(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
