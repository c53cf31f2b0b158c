package org.parasol.imagefixtures;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.parasol.hypercall.Cpu;
import org.parasol.hypercall.GuestKernel;

/**
 * Everything javac emits for ordinary code, in one guest: lambdas and method references of each
 * kind, records, enums and both kinds of enum switch, pattern switches on a sealed hierarchy with
 * enum constant labels, string switches and concatenation, try-with-resources, assert, for-each,
 * String.format, nested, inner and anonymous classes, and the collections, atomics, time values
 * and heap memory segments of the guest JDK list. The image tests verify it, load it under the
 * strict guest parent and run it: each construct must link without a NoClassDefFoundError.
 */
public final class KitchenSinkKernel implements GuestKernel {
    static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    sealed interface Shape permits Circle, Square, Tone { }

    record Circle(int r) implements Shape { }

    record Square(int side) implements Shape { }

    enum Tone implements Shape { LOW, HIGH }

    enum Colour {
        RED, GREEN, BLUE;

        Colour next() {
            return values()[(ordinal() + 1) % values().length];
        }
    }

    /** A checked exception of the guest's own. */
    static final class Oops extends Exception {
        private static final long serialVersionUID = 1L;

        Oops(String message) {
            super(message);
        }
    }

    /** Closed by try-with-resources. */
    static final class Resource implements AutoCloseable {
        private final StringBuilder out;

        Resource(StringBuilder out) {
            this.out = out;
        }

        void use() {
            out.append("in-try,");
        }

        @Override
        public void close() {
            out.append("closed;");
        }
    }

    /** An interface with a default method. */
    interface Greeter {
        String name();

        default String greet() {
            return "hello " + name();
        }
    }

    /** An inner class reading its outer instance's private field (a nestmate). */
    final class Counter {
        int next() {
            return ++count;
        }
    }

    private int count;
    private String report = "";

    /** What the last boot computed. */
    public String report() {
        return report;
    }

    @Override
    public void boot(Cpu cpu, long startInfoVa) {
        StringBuilder out = new StringBuilder();
        List<Shape> shapes = List.of(new Circle(2), new Square(3), Tone.LOW, Tone.HIGH, new Circle(5));
        for (Shape s : shapes) {
            out.append(describe(s)).append(',');
        }
        out.append(';');

        Map<Colour, Integer> counts = new EnumMap<>(Colour.class);
        for (Colour c : Colour.values()) {
            counts.merge(c.next(), 1, Integer::sum);
        }
        out.append(counts).append(';');
        out.append(unitLetter(TimeUnit.SECONDS)).append(colourLetter(Colour.GREEN)).append(number("two")).append(';');

        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            numbers.add(i * i);
        }
        numbers.removeIf(n -> n % 2 == 1);
        numbers.sort(Comparator.reverseOrder());
        out.append(numbers).append(';');

        Function<Integer, String> hex = Integer::toHexString;
        Supplier<ArrayDeque<String>> decks = ArrayDeque::new;
        ArrayDeque<String> deck = decks.get();
        deck.push(hex.apply(255));
        String bound = "abcd";
        IntSupplier length = bound::length;
        out.append(deck.peek()).append(length.getAsInt()).append(';');

        try (Resource r = new Resource(out)) {
            r.use();
        }
        assert shapes.size() == 5 : "five shapes";
        try {
            fail(count);
        } catch (Oops e) {
            out.append(e.getMessage()).append(';');
        }

        out.append(String.format("%s=%d %08x %.2f", "fmt", 42, 0xbeef, 1.5)).append(';');
        Circle c = new Circle(7);
        out.append(c).append(c.equals(new Circle(7))).append(c.hashCode() == new Circle(7).hashCode()).append(';');
        Object boxed = 12;
        if (boxed instanceof Integer i && i > 10) {
            out.append("big;");
        }
        out.append(kind(3L)).append(kind("s")).append(kind(4)).append(';');

        Optional<String> shout = Optional.of("x").map(s -> s + "!");
        int[] sorted = {3, 1, 2};
        Arrays.sort(sorted);
        out.append(shout.orElse("")).append(Arrays.toString(sorted)).append(';');

        Map<String, List<String>> multi = new HashMap<>();
        multi.computeIfAbsent("k", k -> new ArrayList<>()).add("v");
        TreeMap<String, Integer> tree = new TreeMap<>(Map.of("b", 2, "a", 1));
        TreeSet<String> names = new TreeSet<>(Comparator.comparing(String::length).thenComparing(Comparator.naturalOrder()));
        names.addAll(List.of("ccc", "a", "bb"));
        LinkedHashMap<String, Integer> linked = new LinkedHashMap<>();
        linked.put("z", 26);
        out.append(multi).append(tree.firstKey()).append(names).append(linked.keySet()).append(';');

        BitSet bits = new BitSet();
        bits.set(3);
        StringJoiner joiner = new StringJoiner("|", "<", ">");
        joiner.add("p").add("q");
        out.append(bits).append(joiner).append(HexFormat.of().formatHex(new byte[] {1, (byte) 0xab})).append(';');

        Iterator<String> it = new Iterator<>() {
            private int left = 2;

            @Override
            public boolean hasNext() {
                return left > 0;
            }

            @Override
            public String next() {
                return "it" + left--;
            }
        };
        while (it.hasNext()) {
            out.append(it.next());
        }
        Greeter g = () -> "guest";
        Counter counter = new Counter();
        counter.next();
        out.append(g.greet()).append(counter.next()).append(';');

        AtomicLong atomic = new AtomicLong();
        atomic.accumulateAndGet(5, Long::sum);
        ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
        queue.add("q");
        Random random = new Random(42);
        out.append(atomic.get()).append(queue.poll()).append(random.nextInt(10) >= 0)
                .append(Duration.ofMillis(1500).toMillis()).append(Math.floorMod(-7, 3)).append(';');

        MemorySegment page = MemorySegment.ofArray(new long[2]);
        page.set(ValueLayout.JAVA_LONG, 8, 0x1234L);
        WORD.setRelease(page, 0L, 7L);
        VarHandle.fullFence();
        byte[] utf8 = "h\u00e9".getBytes(StandardCharsets.UTF_8);
        out.append((long) WORD.getAcquire(page, 0L)).append(page.get(ValueLayout.JAVA_LONG, 8)).append(utf8.length)
                .append(Character.isDigit('7')).append(Long.parseLong("-3")).append(';');
        Runnable last = () -> out.append("done");
        last.run();
        Thread.onSpinWait();

        report = out.toString();
        if (cpu != null) {
            cpu.hypercall(0, report.length());
        }
    }

    private static String describe(Shape s) {
        return switch (s) {
            case Circle c when c.r() > 3 -> "big circle";
            case Circle c -> "circle " + c.r();
            case Square q -> "square " + q.side();
            case Tone.LOW -> "low";
            case Tone.HIGH -> "high";
        };
    }

    private static String kind(Object o) {
        return switch (o) {
            case Long l when l > 2 -> "long";
            case String s -> "string " + s;
            case Integer i -> "int " + i;
            default -> "other";
        };
    }

    /** A switch over another compilation unit's enum: javac emits a {@code $SwitchMap$} table for it. */
    private static char unitLetter(TimeUnit unit) {
        switch (unit) {
            case SECONDS:
                return 's';
            case MILLISECONDS:
                return 'm';
            default:
                return '?';
        }
    }

    private static char colourLetter(Colour c) {
        return switch (c) {
            case RED -> 'r';
            case GREEN -> 'g';
            case BLUE -> 'b';
        };
    }

    private static int number(String word) {
        return switch (word) {
            case "one" -> 1;
            case "two" -> 2;
            default -> 0;
        };
    }

    private static void fail(int n) throws Oops {
        throw new Oops("oops " + n);
    }
}
