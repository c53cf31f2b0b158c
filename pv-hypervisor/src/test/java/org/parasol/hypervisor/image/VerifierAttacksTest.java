package org.parasol.hypervisor.image;

import static java.lang.constant.ConstantDescs.CD_CallSite;
import static java.lang.constant.ConstantDescs.CD_Class;
import static java.lang.constant.ConstantDescs.CD_ClassDesc;
import static java.lang.constant.ConstantDescs.CD_ConstantBootstraps;
import static java.lang.constant.ConstantDescs.CD_MethodHandle;
import static java.lang.constant.ConstantDescs.CD_MethodHandles_Lookup;
import static java.lang.constant.ConstantDescs.CD_MethodType;
import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_String;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassBuilder;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.attribute.NestHostAttribute;
import java.lang.classfile.constantpool.ConstantPoolBuilder;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DirectMethodHandleDesc;
import java.lang.constant.DynamicCallSiteDesc;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodHandleDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The red team's bypasses of issue 10, each as a class file crafted with the ClassFile API (most
 * cannot be written in Java), each refused with the rule, the class and the member that breaks it.
 */
class VerifierAttacksTest {
    private static final String KERNEL = "evil.Kernel";
    private static final ClassDesc SELF = ClassDesc.of(KERNEL);
    private static final ClassDesc CPU = ClassDesc.of("org.parasol.hypercall.Cpu");
    private static final ClassDesc GUEST_KERNEL = ClassDesc.of("org.parasol.hypercall.GuestKernel");
    private static final String BOOT = "method boot(Lorg/parasol/hypercall/Cpu;J)V";
    private static final ClassDesc SYSTEM = ClassDesc.of("java.lang.System");
    private static final ClassDesc THREAD = ClassDesc.of("java.lang.Thread");
    private static final ClassDesc INPUT_STREAM = ClassDesc.of("java.io.InputStream");
    private static final ClassDesc PRINT_STREAM = ClassDesc.of("java.io.PrintStream");
    private static final ClassDesc RUNNABLE = ClassDesc.of("java.lang.Runnable");
    private static final ClassDesc STAGE = ClassDesc.of("java.util.concurrent.CompletionStage");
    private static final ClassDesc LAMBDA_METAFACTORY = ClassDesc.of("java.lang.invoke.LambdaMetafactory");
    private static final ClassDesc MACHINE_MEMORY = ClassDesc.of("org.parasol.hypervisor.mm.MachineMemory");
    private static final ClassDesc VCPU_MMU = ClassDesc.of("org.parasol.hypervisor.mm.VcpuMmu");

    /** A public guest kernel {@code evil.Kernel} whose boot runs {@code boot}, with more of the class from {@code more}. */
    private static byte[] kernel(Consumer<CodeBuilder> boot, Consumer<ClassBuilder> more) {
        return ClassFile.of().build(SELF, cb -> {
            cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL, AccessFlag.SUPER)
                    .withInterfaceSymbols(GUEST_KERNEL)
                    .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                            c -> c.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_())
                    .withMethodBody("boot", MethodTypeDesc.of(CD_void, CPU, CD_long), ClassFile.ACC_PUBLIC, c -> {
                        boot.accept(c);
                        c.return_();
                    });
            more.accept(cb);
        });
    }

    private static byte[] kernel(Consumer<CodeBuilder> boot) {
        return kernel(boot, cb -> { });
    }

    private static List<Violation> verify(boolean privileged, byte[] kernel, Map<String, byte[]> others) {
        Map<String, byte[]> classes = new HashMap<>(others);
        classes.put(KERNEL, kernel);
        return BytecodeVerifier.verify(ImageClasses.of(classes), KERNEL, privileged).violations();
    }

    private static List<Violation> verify(boolean privileged, byte[] kernel) {
        return verify(privileged, kernel, Map.of());
    }

    private static Violation violation(String member, GuestApiRule rule, String detail) {
        return new Violation(KERNEL, member, rule, detail);
    }

    private static DirectMethodHandleDesc staticMethod(ClassDesc owner, String name, MethodTypeDesc type) {
        return MethodHandleDesc.ofMethod(DirectMethodHandleDesc.Kind.STATIC, owner, name, type);
    }

    // --- item 7: the verifier and the JVM must agree on what a name means

    @Test
    @DisplayName("an image bundling stubs of org.parasol.hypervisor.mm.VcpuMmu and MachineMemory is refused ('no image classes in host packages')")
    void shouldRefuseBundledHypervisorStubs() {
        byte[] mmu = ClassFile.of().build(VCPU_MMU, cb -> cb.withFlags(AccessFlag.PUBLIC)
                .withMethodBody("translate", MethodTypeDesc.of(CD_long, CD_long), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                        c -> c.lload(0).lreturn()));
        byte[] memory = ClassFile.of().build(MACHINE_MEMORY, cb -> cb.withFlags(AccessFlag.PUBLIC)
                .withMethodBody("create", MethodTypeDesc.of(MACHINE_MEMORY, CD_long), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
                        c -> c.aconst_null().areturn()));
        byte[] kernel = kernel(c -> c
                .lconst_0().invokestatic(MACHINE_MEMORY, "create", MethodTypeDesc.of(MACHINE_MEMORY, CD_long)).pop()
                .lconst_0().invokestatic(VCPU_MMU, "translate", MethodTypeDesc.of(CD_long, CD_long)).pop2());
        ImageClasses image = ImageClasses.of(Map.of(KERNEL, kernel, "org.parasol.hypervisor.mm.VcpuMmu", mmu,
                "org.parasol.hypervisor.mm.MachineMemory", memory));

        BytecodeVerifier.Result r = BytecodeVerifier.verify(image, KERNEL, false);

        assertThat(r.violations()).anySatisfy(v -> {
            assertThat(v.className()).isEqualTo("org.parasol.hypervisor.mm.VcpuMmu");
            assertThat(v.rule()).isEqualTo(GuestApiRule.NO_RESERVED_PACKAGE);
        }).anySatisfy(v -> {
            assertThat(v.className()).isEqualTo("org.parasol.hypervisor.mm.MachineMemory");
            assertThat(v.rule()).isEqualTo(GuestApiRule.NO_RESERVED_PACKAGE);
        }).contains(violation(BOOT, GuestApiRule.NO_HYPERVISOR_INTERNALS,
                        "calls org/parasol/hypervisor/mm/MachineMemory.create(J)Lorg/parasol/hypervisor/mm/MachineMemory;"),
                violation(BOOT, GuestApiRule.NO_HYPERVISOR_INTERNALS, "calls org/parasol/hypervisor/mm/VcpuMmu.translate(J)J"));
        assertThat(r.reachable()).containsExactly(KERNEL);
        assertThat(image.isImageClass("org.parasol.hypervisor.mm.VcpuMmu")).as("the loaders' predicate").isFalse();
        assertThat(BytecodeVerifier.verify(image, KERNEL, true).violations()).extracting(Violation::rule)
                .contains(GuestApiRule.NO_RESERVED_PACKAGE, GuestApiRule.NO_HYPERVISOR_INTERNALS);
    }

    @Test
    @DisplayName("an ldc of a MethodType naming a hypervisor class is refused ('no hypervisor internals', 'no reflection')")
    void shouldRefuseMethodTypeConstantsNamingTheHypervisor() {
        byte[] kernel = kernel(c -> c.ldc(MethodTypeDesc.of(CD_void, MACHINE_MEMORY)).pop());

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_HYPERVISOR_INTERNALS, "uses type org/parasol/hypervisor/mm/MachineMemory"),
                violation(BOOT, GuestApiRule.NO_REFLECTION, "loads a method type constant (Lorg/parasol/hypervisor/mm/MachineMemory;)V"
                        + " (its classes resolve through the guest's loader)"));
        assertThat(verify(true, kernel)).containsExactly(
                violation(BOOT, GuestApiRule.NO_HYPERVISOR_INTERNALS, "uses type org/parasol/hypervisor/mm/MachineMemory"));
    }

    @Test
    @DisplayName("ConstantBootstraps.getStaticFinal whose owner comes from another constant is refused ('no reflection')")
    void shouldRefuseFieldReadsWhoseOwnerIsComputed() {
        DynamicConstantDesc<?> owner = DynamicConstantDesc.ofNamed(ConstantDescs.BSM_EXPLICIT_CAST, "_", CD_Class, SYSTEM);
        DirectMethodHandleDesc getStaticFinal = staticMethod(CD_ConstantBootstraps, "getStaticFinal",
                MethodTypeDesc.of(CD_Object, CD_MethodHandles_Lookup, CD_String, CD_Class, CD_Class));
        byte[] kernel = kernel(c -> c.ldc(DynamicConstantDesc.ofNamed(getStaticFinal, "in", INPUT_STREAM, owner)).pop());

        assertThat(verify(true, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_REFLECTION,
                "reads a static field through java/lang/invoke/ConstantBootstraps.getStaticFinal whose class is not a plain class constant"));
        assertThat(verify(false, kernel)).contains(violation(BOOT, GuestApiRule.NO_REFLECTION,
                "loads a dynamic constant bootstrapped by java/lang/invoke/ConstantBootstraps.getStaticFinal"));
    }

    @Test
    @DisplayName("ConstantBootstraps.getStaticFinal with a plain owner is judged as reading that class's field ('no Unsafe or JDK internals')")
    void shouldJudgeFieldReadsOfDynamicConstantsAsFieldReads() {
        DirectMethodHandleDesc getStaticFinal = staticMethod(CD_ConstantBootstraps, "getStaticFinal",
                MethodTypeDesc.of(CD_Object, CD_MethodHandles_Lookup, CD_String, CD_Class, CD_Class));
        ClassDesc unsafe = ClassDesc.of("sun.misc.Unsafe");
        byte[] kernel = kernel(c -> c.ldc(DynamicConstantDesc.ofNamed(getStaticFinal, "theUnsafe", unsafe, unsafe)).pop());

        assertThat(verify(true, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_JDK_INTERNALS, "reads a field of sun/misc/Unsafe"));
    }

    @Test
    @DisplayName("a NestHost claim on java/lang/String is refused ('nests and sealed hierarchies inside the image')")
    void shouldRefuseANestHostOutsideTheImage() {
        byte[] kernel = kernel(c -> { }, cb -> cb.with(NestHostAttribute.of(CD_String)));

        Violation expected = new Violation(KERNEL, "class file", GuestApiRule.NO_FOREIGN_NEST,
                "claims nest host java/lang/String, which is not a class of the image");
        assertThat(verify(false, kernel)).contains(expected);
        assertThat(verify(true, kernel)).containsExactly(expected);
    }

    @Test
    @DisplayName("a putstatic to System.out is refused ('no writes to fields of host classes')")
    void shouldRefuseWritingTheJdksFields() {
        byte[] kernel = kernel(c -> c.aconst_null().putstatic(SYSTEM, "out", PRINT_STREAM));

        Violation expected = violation(BOOT, GuestApiRule.NO_HOST_FIELD_WRITES, "writes field java/lang/System.out");
        assertThat(verify(false, kernel)).contains(expected);
        assertThat(verify(true, kernel)).containsExactly(expected);
    }

    // --- item 4: guest code on host threads

    @Test
    @DisplayName("a guest subclass of CompletableFuture reached through its own CompletionStage interface is refused ('only listed JDK classes and members')")
    void shouldRefuseAGuestCompletableFuture() {
        ClassDesc stage = ClassDesc.of("evil.Stage");
        ClassDesc future = ClassDesc.of("evil.Future");
        byte[] stageClass = ClassFile.of().build(stage, cb -> cb
                .withFlags(AccessFlag.PUBLIC, AccessFlag.INTERFACE, AccessFlag.ABSTRACT).withInterfaceSymbols(STAGE));
        byte[] futureClass = ClassFile.of().build(future, cb -> cb
                .withSuperclass(ClassDesc.of("java.util.concurrent.CompletableFuture")).withInterfaceSymbols(stage)
                .withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC, c -> c.aload(0)
                        .invokespecial(ClassDesc.of("java.util.concurrent.CompletableFuture"), INIT_NAME, MTD_void).return_()));
        byte[] kernel = kernel(c -> c.new_(future).dup().invokespecial(future, INIT_NAME, MTD_void).aconst_null()
                .invokeinterface(stage, "thenRunAsync", MethodTypeDesc.of(STAGE, RUNNABLE)).pop());

        List<Violation> violations = verify(false, kernel, Map.of("evil.Stage", stageClass, "evil.Future", futureClass));

        assertThat(violations).contains(
                violation(BOOT, GuestApiRule.JDK_ALLOW_LIST, "calls evil/Stage.thenRunAsync(Ljava/lang/Runnable;)"
                        + "Ljava/util/concurrent/CompletionStage;, which resolves through java/util/concurrent/CompletionStage, "
                        + "not on the guest JDK list"),
                new Violation("evil.Future", "supertypes", GuestApiRule.JDK_ALLOW_LIST,
                        "extends java/util/concurrent/CompletableFuture, which is not on the guest JDK list"),
                new Violation("evil.Stage", "supertypes", GuestApiRule.JDK_ALLOW_LIST,
                        "extends java/util/concurrent/CompletionStage, which is not on the guest JDK list"));
    }

    @Test
    @DisplayName("invokeinterface CompletionStage.thenRunAsync is refused: the owner is the interface, the class is not listed")
    void shouldRefuseThenRunAsyncOnTheInterface() {
        byte[] kernel = kernel(c -> c.aconst_null().aconst_null()
                .invokeinterface(STAGE, "thenRunAsync", MethodTypeDesc.of(STAGE, RUNNABLE)).pop());

        assertThat(verify(false, kernel)).contains(violation(BOOT, GuestApiRule.JDK_ALLOW_LIST,
                "calls java/util/concurrent/CompletionStage.thenRunAsync(Ljava/lang/Runnable;)Ljava/util/concurrent/CompletionStage;"
                        + ", whose class is not on the guest JDK list"));
    }

    @Test
    @DisplayName("StreamSupport.stream(spliterator, true) and ConcurrentHashMap.forEach(1L, ...) are refused: common-pool work")
    void shouldRefuseParallelStreamsAndBulkOperations() {
        ClassDesc spliterator = ClassDesc.of("java.util.Spliterator");
        ClassDesc chm = ClassDesc.of("java.util.concurrent.ConcurrentHashMap");
        byte[] kernel = kernel(c -> c
                .aconst_null().iconst_1().invokestatic(ClassDesc.of("java.util.stream.StreamSupport"), "stream",
                        MethodTypeDesc.of(ClassDesc.of("java.util.stream.Stream"), spliterator, CD_boolean)).pop()
                .aconst_null().lconst_1().aconst_null().invokevirtual(chm, "forEach",
                        MethodTypeDesc.of(CD_void, CD_long, ClassDesc.of("java.util.function.BiConsumer"))));

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.JDK_ALLOW_LIST, "calls java/util/stream/StreamSupport.stream(Ljava/util/Spliterator;Z)"
                        + "Ljava/util/stream/Stream;, whose class is not on the guest JDK list"),
                violation(BOOT, GuestApiRule.JDK_ALLOW_LIST, "calls java/util/concurrent/ConcurrentHashMap.forEach("
                        + "JLjava/util/function/BiConsumer;)V, whose class is not on the guest JDK list"));
    }

    @Test
    @DisplayName("a class declaring finalize() is refused ('no finalizers'): the finalizer thread would run it")
    void shouldRefuseFinalizers() {
        byte[] kernel = kernel(c -> { }, cb -> cb.withMethodBody("finalize", MTD_void, ClassFile.ACC_PROTECTED,
                c -> c.goto_(c.startLabel())));

        assertThat(verify(false, kernel)).containsExactly(violation("method finalize()V", GuestApiRule.NO_FINALIZERS,
                "declares finalize(): the JVM's finalizer thread would run it"));
    }

    // --- item 2: monitors a host thread waits on

    @Test
    @DisplayName("a synchronized method and monitorenter on Thread.currentThread() are refused ('no monitors')")
    void shouldRefuseMonitors() {
        byte[] kernel = kernel(c -> c.invokestatic(THREAD, "currentThread", MethodTypeDesc.of(THREAD)).dup()
                        .monitorenter().monitorexit(),
                cb -> cb.withMethodBody("hold", MTD_void, ClassFile.ACC_PUBLIC | ClassFile.ACC_SYNCHRONIZED, CodeBuilder::return_));

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_MONITORS, "enters a monitor (monitorenter)"),
                violation(BOOT, GuestApiRule.NO_THREADS, "calls java/lang/Thread.currentThread()Ljava/lang/Thread;"),
                violation("method hold()V", GuestApiRule.NO_MONITORS, "is synchronized: it locks a monitor another thread may wait on"));
    }

    @Test
    @DisplayName("System.out.printf is refused ('no standard streams'): its lock is held while the guest's toString runs")
    void shouldRefuseTheStandardStreams() {
        byte[] kernel = kernel(c -> c.getstatic(SYSTEM, "out", PRINT_STREAM).ldc("%s").iconst_0().anewarray(CD_Object)
                .invokevirtual(PRINT_STREAM, "printf", MethodTypeDesc.of(PRINT_STREAM, CD_String, CD_Object.arrayType())).pop());

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_STANDARD_STREAMS, "reads field java/lang/System.out"),
                violation(BOOT, GuestApiRule.JDK_ALLOW_LIST, "calls java/io/PrintStream.printf(Ljava/lang/String;[Ljava/lang/Object;)"
                        + "Ljava/io/PrintStream;, whose class is not on the guest JDK list"));
    }

    // --- item 1: java.lang.constant and lookups resolve anything

    @Test
    @DisplayName("MethodHandleDesc.resolveConstantDesc(MethodHandles.lookup()) is refused ('no reflection'), privileged or not")
    void shouldRefuseConstantResolution() {
        ClassDesc mhDesc = ClassDesc.of("java.lang.constant.MethodHandleDesc");
        byte[] kernel = kernel(c -> c.aconst_null()
                .invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup", MethodTypeDesc.of(CD_MethodHandles_Lookup))
                .invokeinterface(mhDesc, "resolveConstantDesc", MethodTypeDesc.of(CD_MethodHandle, CD_MethodHandles_Lookup)).pop()
                .ldc("java.lang.Runtime")
                .invokestatic(CD_ClassDesc, "of", MethodTypeDesc.of(CD_ClassDesc, CD_String), true).aconst_null()
                .invokeinterface(CD_ClassDesc, "resolveConstantDesc", MethodTypeDesc.of(CD_Class, CD_MethodHandles_Lookup)).pop());

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/invoke/MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;"),
                violation(BOOT, GuestApiRule.JDK_ALLOW_LIST, "calls java/lang/constant/MethodHandleDesc.resolveConstantDesc("
                        + "Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/invoke/MethodHandle;, whose class is not on the guest JDK list"),
                violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/constant/ClassDesc.resolveConstantDesc("
                        + "Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/Class;"));
        assertThat(verify(true, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/invoke/MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;"),
                violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/constant/MethodHandleDesc.resolveConstantDesc("
                        + "Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/invoke/MethodHandle;"),
                violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/constant/ClassDesc.resolveConstantDesc("
                        + "Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/Class;"));
    }

    @Test
    @DisplayName("MethodType.fromMethodDescriptorString(desc, null) is refused ('no reflection'): it loads classes by name")
    void shouldRefuseMethodTypeFromDescriptor() {
        byte[] kernel = kernel(c -> c.ldc("(Lorg/parasol/hypervisor/Hypervisor;)V").aconst_null()
                .invokestatic(CD_MethodType, "fromMethodDescriptorString",
                        MethodTypeDesc.of(CD_MethodType, CD_String, ClassDesc.of("java.lang.ClassLoader"))).pop());

        Violation expected = violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/invoke/MethodType.fromMethodDescriptorString("
                + "Ljava/lang/String;Ljava/lang/ClassLoader;)Ljava/lang/invoke/MethodType;");
        assertThat(verify(false, kernel)).contains(expected);
        assertThat(verify(true, kernel)).contains(expected);
    }

    @Test
    @DisplayName("MethodHandles.lookup().findVarHandle(System.class, \"in\", ...) is refused ('no reflection'), privileged or not")
    void shouldRefuseVarHandleLookups() {
        byte[] kernel = kernel(c -> c
                .invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup", MethodTypeDesc.of(CD_MethodHandles_Lookup))
                .ldc(SYSTEM).ldc("in").ldc(INPUT_STREAM)
                .invokevirtual(CD_MethodHandles_Lookup, "findVarHandle",
                        MethodTypeDesc.of(ClassDesc.of("java.lang.invoke.VarHandle"), CD_Class, CD_String, CD_Class)).pop());

        Violation lookup = violation(BOOT, GuestApiRule.NO_REFLECTION,
                "calls java/lang/invoke/MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;");
        Violation find = violation(BOOT, GuestApiRule.NO_REFLECTION, "calls java/lang/invoke/MethodHandles$Lookup.findVarHandle("
                + "Ljava/lang/Class;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/invoke/VarHandle;");
        assertThat(verify(false, kernel)).contains(lookup, find, violation(BOOT, GuestApiRule.JDK_ALLOW_LIST,
                "loads class constant java/io/InputStream, which is not on the guest JDK list"));
        assertThat(verify(true, kernel)).containsExactly(lookup, find);
    }

    // --- lambdas and javac's other bootstraps

    private static DirectMethodHandleDesc lambdaFactory(String name, MethodTypeDesc type) {
        return staticMethod(LAMBDA_METAFACTORY, name, type);
    }

    @Test
    @DisplayName("a serializable lambda (altMetafactory FLAG_SERIALIZABLE) is refused ('no reflection')")
    void shouldRefuseSerializableLambdas() {
        DirectMethodHandleDesc alt = lambdaFactory("altMetafactory", MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup,
                CD_String, CD_MethodType, CD_Object.arrayType()));
        DirectMethodHandleDesc impl = staticMethod(SELF, "body", MTD_void);
        byte[] kernel = kernel(c -> c.invokedynamic(DynamicCallSiteDesc.of(alt, "run", MethodTypeDesc.of(RUNNABLE),
                MTD_void, impl, MTD_void, 1)).pop(),
                cb -> cb.withMethodBody("body", MTD_void, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, CodeBuilder::return_));

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_REFLECTION,
                "bootstraps invokedynamic with java/lang/invoke/LambdaMetafactory.altMetafactory and static arguments javac does not "
                        + "emit (a serializable lambda (FLAG_SERIALIZABLE): its deserialization runs through reflection)"));
    }

    @Test
    @DisplayName("a lambda implementing a listed JDK interface that is not extendable is refused ('only extendable JDK supertypes')")
    void shouldRefuseLambdasOfNonExtendableInterfaces() {
        DirectMethodHandleDesc meta = lambdaFactory("metafactory", MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup,
                CD_String, CD_MethodType, CD_MethodType, CD_MethodHandle, CD_MethodType));
        ClassDesc generator = ClassDesc.of("java.util.random.RandomGenerator");
        MethodTypeDesc nextLong = MethodTypeDesc.of(CD_long);
        byte[] kernel = kernel(c -> c.invokedynamic(DynamicCallSiteDesc.of(meta, "nextLong", MethodTypeDesc.of(generator),
                nextLong, staticMethod(SELF, "four", nextLong), nextLong)).pop(),
                cb -> cb.withMethodBody("four", nextLong, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, c -> c.ldc(4L).lreturn()));

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.EXTENDABLE_SUPERTYPES_ONLY,
                "creates a lambda implementing java/util/random/RandomGenerator, which guest classes and lambdas may not implement"));
    }

    @Test
    @DisplayName("a lambda whose implementation is System.exit is judged as calling System.exit")
    void shouldJudgeALambdasImplementation() {
        DirectMethodHandleDesc meta = lambdaFactory("metafactory", MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup,
                CD_String, CD_MethodType, CD_MethodType, CD_MethodHandle, CD_MethodType));
        ClassDesc intConsumer = ClassDesc.of("java.util.function.IntConsumer");
        MethodTypeDesc accept = MethodTypeDesc.of(CD_void, CD_int);
        byte[] kernel = kernel(c -> c.invokedynamic(DynamicCallSiteDesc.of(meta, "accept", MethodTypeDesc.of(intConsumer),
                accept, staticMethod(SYSTEM, "exit", accept), accept)).pop());

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_EXIT,
                "takes a method handle to java/lang/System.exit(I)V"));
    }

    @Test
    @DisplayName("javac's bootstraps with arguments javac never emits are refused ('no reflection')")
    void shouldRefuseJavacBootstrapsWithForeignArguments() {
        DirectMethodHandleDesc concat = staticMethod(ClassDesc.of("java.lang.invoke.StringConcatFactory"), "makeConcatWithConstants",
                MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup, CD_String, CD_MethodType, CD_String, CD_Object.arrayType()));
        DirectMethodHandleDesc exit = staticMethod(SYSTEM, "exit", MethodTypeDesc.of(CD_void, CD_int));
        DirectMethodHandleDesc fakeMeta = lambdaFactory("metafactory", MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup,
                CD_String, CD_MethodType, CD_Object.arrayType()));
        byte[] kernel = kernel(c -> c
                .invokedynamic(DynamicCallSiteDesc.of(concat, "concat", MethodTypeDesc.of(CD_String), "\u0002", exit)).pop()
                .invokedynamic(DynamicCallSiteDesc.of(fakeMeta, "run", MethodTypeDesc.of(RUNNABLE))).pop());

        assertThat(verify(false, kernel)).contains(
                violation(BOOT, GuestApiRule.NO_REFLECTION, "bootstraps invokedynamic with java/lang/invoke/StringConcatFactory"
                        + ".makeConcatWithConstants and static arguments javac does not emit (a constant that is not a string or a number)"),
                violation(BOOT, GuestApiRule.NO_REFLECTION, "bootstraps invokedynamic with java/lang/invoke/LambdaMetafactory.metafactory"));
    }

    @Test
    @DisplayName("an ldc of a method handle is refused for unprivileged images ('no reflection')")
    void shouldRefuseMethodHandleConstants() {
        byte[] kernel = kernel(c -> c.ldc(staticMethod(SYSTEM, "nanoTime", MethodTypeDesc.of(CD_long))).pop());

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_REFLECTION,
                "loads a method handle constant java/lang/System.nanoTime"));
        assertThat(verify(true, kernel)).isEmpty();
    }

    @Test
    @DisplayName("a switch's enum label naming a hypervisor class is refused: SwitchBootstraps resolves it through the guest's lookup")
    void shouldRefuseEnumLabelsNamingHostClasses() {
        byte[] kernel = kernel(c -> {
            ConstantPoolBuilder cp = c.constantPool();
            MethodHandleEntry invoke = cp.methodHandleEntry(ConstantDescs.BSM_INVOKE);
            MethodHandleEntry classDescOf = cp.methodHandleEntry(MethodHandleDesc.ofMethod(
                    DirectMethodHandleDesc.Kind.INTERFACE_STATIC, CD_ClassDesc, "of", MethodTypeDesc.of(CD_ClassDesc, CD_String)));
            ClassDesc enumDesc = ClassDesc.of("java.lang.Enum$EnumDesc");
            MethodHandleEntry enumDescOf = cp.methodHandleEntry(staticMethod(enumDesc, "of",
                    MethodTypeDesc.of(enumDesc, CD_ClassDesc, CD_String)));
            var className = cp.constantDynamicEntry(cp.bsmEntry(invoke, List.<LoadableConstantEntry>of(classDescOf,
                    cp.stringEntry("org.parasol.hypervisor.Hypervisor"))), cp.nameAndTypeEntry("invoke", CD_ClassDesc));
            var label = cp.constantDynamicEntry(cp.bsmEntry(invoke, List.<LoadableConstantEntry>of(enumDescOf, className,
                    cp.stringEntry("RED"))), cp.nameAndTypeEntry("invoke", enumDesc));
            MethodHandleEntry typeSwitch = cp.methodHandleEntry(staticMethod(ClassDesc.of("java.lang.runtime.SwitchBootstraps"),
                    "typeSwitch", MethodTypeDesc.of(CD_CallSite, CD_MethodHandles_Lookup, CD_String, CD_MethodType,
                            CD_Object.arrayType())));
            c.aconst_null().iconst_0().invokedynamic(cp.invokeDynamicEntry(cp.bsmEntry(typeSwitch,
                    List.<LoadableConstantEntry>of(label)), cp.nameAndTypeEntry("typeSwitch",
                    MethodTypeDesc.of(CD_int, CD_Object, CD_int)))).pop();
        });

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_HYPERVISOR_INTERNALS,
                "switches on enum constants of org/parasol/hypervisor/Hypervisor"));
    }

    @Test
    @DisplayName("ObjectMethods given a getter of another class's field is refused ('no reflection')")
    void shouldRefuseRecordBootstrapsReachingOtherClasses() {
        DirectMethodHandleDesc objectMethods = staticMethod(ClassDesc.of("java.lang.runtime.ObjectMethods"), "bootstrap",
                MethodTypeDesc.of(CD_Object, CD_MethodHandles_Lookup, CD_String, ClassDesc.of("java.lang.invoke.TypeDescriptor"),
                        CD_Class, CD_String, CD_MethodHandle.arrayType()));
        DirectMethodHandleDesc getter = MethodHandleDesc.ofField(DirectMethodHandleDesc.Kind.GETTER,
                ClassDesc.of("java.lang.StackTraceElement"), "declaringClass", CD_String);
        byte[] kernel = kernel(c -> c.aconst_null().invokedynamic(DynamicCallSiteDesc.of(objectMethods, "toString",
                MethodTypeDesc.of(CD_String, SELF), SELF, "declaringClass", getter)).pop());

        assertThat(verify(false, kernel)).containsExactly(violation(BOOT, GuestApiRule.NO_REFLECTION,
                "bootstraps invokedynamic with java/lang/runtime/ObjectMethods.bootstrap and static arguments javac does not emit "
                        + "(a component that is not a getter of this class's own field)"));
    }
}
