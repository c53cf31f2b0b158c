package org.parasol.hypervisor.image;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.BootstrapMethodEntry;
import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.ConstantPoolBuilder;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Checking is linear in the image's size: for the worst inputs we know (descriptors full of
 * {@code L}, pyramids and lattices of dynamic constants, long inheritance chains, interface
 * lattices) the verifier's deterministic work count stays within a small constant times the
 * image's bytes. No wall-clock assertion: the times are printed for the record only.
 */
class VerifierWorkTest {
    /** Work units per byte of image the verifier may spend: descriptor characters count once, pool entries and instructions once each. */
    private static final long WORK_PER_BYTE = 8;

    private static final ClassDesc SELF = ClassDesc.of("bomb.Kernel");

    private static byte[] bare(ClassDesc name, Consumer<ClassBuilder> body) {
        return ClassFile.of(ClassFile.StackMapsOption.DROP_STACK_MAPS).build(name, cb -> {
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER);
            body.accept(cb);
        });
    }

    /** Verifies on a thread with a small stack: no input may make the verifier recurse as deep as it is long. */
    private static BytecodeVerifier.Result onSmallStack(ImageClasses image, String root, boolean privileged) {
        BytecodeVerifier.Result[] result = new BytecodeVerifier.Result[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(null, () -> {
            try {
                result[0] = BytecodeVerifier.verify(image, root, privileged);
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "small-stack verifier", SMALL_STACK);
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertThat(failure[0]).as("the verifier threw").isNull();
        return result[0];
    }

    private static final long SMALL_STACK = 256 * 1024;

    private static BytecodeVerifier.Result measure(String what, ImageClasses image, String root, boolean privileged) {
        long t0 = System.nanoTime();
        BytecodeVerifier.Result r = onSmallStack(image, root, privileged);
        long micros = (System.nanoTime() - t0) / 1_000;
        System.out.printf("[verifier work] %-34s %,9d bytes  %,10d work  %.2f work/byte  %,8d us  %d violations%n",
                what, image.totalBytes(), r.work(), (double) r.work() / image.totalBytes(), micros, r.violations().size());
        assertThat(r.work()).as(what + ": work within " + WORK_PER_BYTE + " units per byte")
                .isLessThanOrEqualTo(WORK_PER_BYTE * image.totalBytes());
        return r;
    }

    private static ImageClasses one(byte[] bytes) {
        return ImageClasses.of(Map.of("bomb.Kernel", bytes));
    }

    @Test
    @DisplayName("three 65 KB descriptors full of 'L' cost no more to check than their length ('linear in image size')")
    void shouldScanDescriptorsInOnePass() {
        List<String> descriptors = List.of(
                "(" + "L".repeat(65_000) + ";)V",
                "(" + "La;".repeat(21_600) + ")V",
                "(" + "[".repeat(200) + "L" + "x/".repeat(32_000) + "y;)V");
        byte[] bomb = bare(SELF, cb -> {
            ConstantPoolBuilder cp = cb.constantPool();
            for (int i = 0; i < descriptors.size(); i++) {
                cp.methodRefEntry(cp.classEntry(ClassDesc.of("bomb.Other")),
                        cp.nameAndTypeEntry(cp.utf8Entry("m" + i), cp.utf8Entry(descriptors.get(i))));
            }
        });
        byte[] control = bare(SELF, cb -> {
            ConstantPoolBuilder cp = cb.constantPool();
            for (int i = 0; i < descriptors.size(); i++) {
                cp.stringEntry("x".repeat(descriptors.get(i).length()));
            }
        });

        BytecodeVerifier.Result r = measure("descriptors full of L", one(bomb), "bomb.Kernel", false);
        measure("same-size control (strings)", one(control), "bomb.Kernel", false);

        assertThat(r.violations()).isNotEmpty().allSatisfy(v -> assertThat(v.toString().length()).isLessThan(600));
    }

    /** A pyramid of dynamic constants: each level's constants take every constant of the level below as arguments. */
    private static byte[] condyLattice(int depth, int width) {
        DirectMethodHandleDesc invoke = ConstantDescs.BSM_INVOKE;
        DirectMethodHandleDesc nullConstant = ConstantDescs.BSM_NULL_CONSTANT;
        DirectMethodHandleDesc listOf = MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.INTERFACE_STATIC,
                ClassDesc.of("java.util.List"), "of", MethodTypeDesc.of(ClassDesc.of("java.util.List"), CD_Object.arrayType()));
        return ClassFile.of().build(SELF, cb -> cb.withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER)
                .withMethodBody("boot", MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    ConstantPoolBuilder cp = code.constantPool();
                    MethodHandleEntry invokeEntry = cp.methodHandleEntry(invoke);
                    MethodHandleEntry list = cp.methodHandleEntry(listOf);
                    List<ConstantDynamicEntry> level = new ArrayList<>();
                    for (int w = 0; w < width; w++) {
                        level.add(cp.constantDynamicEntry(cp.bsmEntry(cp.methodHandleEntry(nullConstant), List.of()),
                                cp.nameAndTypeEntry("leaf" + w, CD_Object)));
                    }
                    for (int d = 0; d < depth; d++) {
                        List<LoadableConstantEntry> args = new ArrayList<>(List.of(list));
                        args.addAll(level);
                        BootstrapMethodEntry bsm = cp.bsmEntry(invokeEntry, args);
                        List<ConstantDynamicEntry> next = new ArrayList<>();
                        for (int w = 0; w < width; w++) {
                            next.add(cp.constantDynamicEntry(bsm, cp.nameAndTypeEntry("c" + d + "_" + w, CD_Object)));
                        }
                        level = next;
                    }
                    code.ldc(level.getFirst()).pop().return_();
                }));
    }

    @Test
    @DisplayName("a 40-deep pyramid of dynamic constants, 2^40 paths, is checked once per constant and refused past MAX_BOOTSTRAP_NESTING")
    void shouldMemoizeDeepDynamicConstants() {
        BytecodeVerifier.Result r = measure("condy pyramid 40 deep x 2 wide", one(condyLattice(40, 2)), "bomb.Kernel", true);

        assertThat(r.violations()).anySatisfy(v -> {
            assertThat(v.rule()).isEqualTo(GuestApiRule.WITHIN_LIMITS);
            assertThat(v.detail()).contains("MAX_BOOTSTRAP_NESTING (" + ImageLimits.MAX_BOOTSTRAP_NESTING + ")");
        });
    }

    @Test
    @DisplayName("a chain of 5000 dynamic constants, each the argument of the next, stops at MAX_BOOTSTRAP_NESTING on a 256 KB stack")
    void shouldNotRecurseAlongLongConstantChains() {
        BytecodeVerifier.Result r = measure("condy chain 5000 long", one(condyLattice(5_000, 1)), "bomb.Kernel", true);

        assertThat(r.violations()).singleElement().satisfies(v -> assertThat(v.rule()).isEqualTo(GuestApiRule.WITHIN_LIMITS));
    }

    @Test
    @DisplayName("a lattice of dynamic constants within the nesting limit, 40^7 paths, passes in time linear in its arguments")
    void shouldMemoizeWideDynamicConstants() {
        BytecodeVerifier.Result r = measure("condy lattice 7 deep x 40 wide", one(condyLattice(7, 40)), "bomb.Kernel", true);

        assertThat(r.violations()).isEmpty();
        assertThat(measure("(unprivileged: refused at the ldc)", one(condyLattice(7, 40)), "bomb.Kernel", false).violations())
                .extracting(Violation::rule).contains(GuestApiRule.NO_REFLECTION);
    }

    @Test
    @DisplayName("3000 classes each extending the last and calling the first's method: linear work, a 256 KB stack, past MAX_SUPERTYPES refused")
    void shouldBoundResolutionThroughLongHierarchies() {
        int n = 3_000;
        Map<String, byte[]> classes = new HashMap<>();
        for (int i = 0; i < n; i++) {
            ClassDesc self = ClassDesc.of("chain.C" + i);
            ClassDesc parent = i == 0 ? CD_Object : ClassDesc.of("chain.C" + (i - 1));
            ClassDesc next = ClassDesc.of("chain.C" + Math.min(i + 1, n - 1));
            int index = i;
            classes.put("chain.C" + i, ClassFile.of().build(self, cb -> {
                cb.withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER).withSuperclass(parent)
                        .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                                c -> c.aload(0).invokespecial(parent, INIT_NAME, MTD_void).return_())
                        .withMethodBody("touch", MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> c
                                .aconst_null().invokevirtual(self, "m0", MethodTypeDesc.of(CD_int)).pop()
                                .aconst_null().getfield(self, "f0", CD_int).pop()
                                .invokestatic(next, "touch", MTD_void).return_());
                if (index == 0) {
                    cb.withField("f0", CD_int, ClassFile.ACC_PUBLIC)
                            .withMethodBody("m0", MethodTypeDesc.of(CD_int), ClassFile.ACC_PUBLIC, c -> c.iconst_0().ireturn());
                }
            }));
        }
        BytecodeVerifier.Result r = measure("3000-class inheritance chain", ImageClasses.of(classes), "chain.C0", false);

        assertThat(r.reachable()).hasSize(n);
        assertThat(r.violations()).extracting(Violation::rule).containsOnly(GuestApiRule.WITHIN_LIMITS, GuestApiRule.WELL_FORMED);
        assertThat(r.violations()).anySatisfy(v -> assertThat(v.detail()).contains("MAX_SUPERTYPES"));
    }

    @Test
    @DisplayName("a lattice of interfaces, each level extending both of the level below, is refused past MAX_SUPERTYPES in linear work")
    void shouldBoundInterfaceLattices() {
        int depth = 400;
        Map<String, byte[]> classes = new HashMap<>();
        for (int d = 0; d < depth; d++) {
            for (String side : List.of("A", "B")) {
                ClassDesc self = ClassDesc.of("lattice.I" + d + side);
                List<ClassDesc> supers = d == 0 ? List.of()
                        : List.of(ClassDesc.of("lattice.I" + (d - 1) + "A"), ClassDesc.of("lattice.I" + (d - 1) + "B"));
                classes.put("lattice.I" + d + side, ClassFile.of().build(self, cb -> cb
                        .withFlags(AccessFlag.PUBLIC, AccessFlag.INTERFACE, AccessFlag.ABSTRACT).withInterfaceSymbols(supers)
                        .withMethodBody("poke", MethodTypeDesc.of(CD_boolean), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                                c -> c.aconst_null().invokeinterface(self, "hashCode", MethodTypeDesc.of(CD_int)).pop()
                                        .iconst_0().ireturn())));
            }
        }
        ClassDesc top = ClassDesc.of("lattice.I" + (depth - 1) + "A");
        classes.put("lattice.K", ClassFile.of().build(ClassDesc.of("lattice.K"), cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.SUPER).withInterfaceSymbols(top)
                .withMethodBody("go", MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> c
                        .aconst_null().invokeinterface(top, "missing", MTD_void).return_())));

        BytecodeVerifier.Result r = measure("interface lattice 400 deep", ImageClasses.of(classes), "lattice.K", false);

        assertThat(r.violations()).anySatisfy(v -> assertThat(v.detail()).contains("MAX_SUPERTYPES"));
    }

    @Test
    @DisplayName("a class with more than MAX_CONSTANT_POOL_ENTRIES entries is refused before its entries are examined")
    void shouldRefuseHugeConstantPools() {
        byte[] big = bare(SELF, cb -> {
            ConstantPoolBuilder cp = cb.constantPool();
            for (int i = 0; i <= ImageLimits.MAX_CONSTANT_POOL_ENTRIES; i++) {
                cp.intEntry(i);
            }
        });

        BytecodeVerifier.Result r = measure("pool of 32769 integers", one(big), "bomb.Kernel", false);

        assertThat(r.violations()).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(GuestApiRule.WITHIN_LIMITS);
            assertThat(v.detail()).contains("constant-pool entries, more than MAX_CONSTANT_POOL_ENTRIES (32768)");
        });
    }

    @Test
    @DisplayName("the example-sized kitchen sink costs a few units of work per byte")
    void shouldCheckOrdinaryCodeCheaply() throws Exception {
        BytecodeVerifier.Result r = measure("kitchen-sink fixture image", TestImages.fixtureImage(),
                "org.parasol.imagefixtures.KitchenSinkKernel", false);

        assertThat(r.violations()).isEmpty();
    }
}
