package io.github.conv4j.spark;

import io.github.conv4j.ConvPlan;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The plans of one executor JVM: one per broadcast of a spec and its weights, made by the first task that needs
 * it (the others wait for it), shared by every task after, and closed when the JVM exits. Plans stay here, in
 * static state, so they are never serialised with a task.
 */
final class PlanCache {
    /**
     * One broadcast of a spec with its weights and bias. Broadcast ids count from 0 in every Spark application,
     * and one JVM may run several in turn (local mode), so the application's id is part of the key.
     */
    record Key(String application, long broadcast) {
    }

    private static final Map<Key, Entry> PLANS = new ConcurrentHashMap<>();
    private static final AtomicInteger MADE = new AtomicInteger();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(PlanCache::closeAll, "conv4j-spark-plan-cache-close"));
    }

    private PlanCache() {
    }

    /** The plan for {@code key}, made with {@code make} by the first caller; later and concurrent callers share it. */
    static ConvPlan plan(Key key, Supplier<ConvPlan> make) {
        return PLANS.computeIfAbsent(key, k -> new Entry()).plan(make);
    }

    /** How many plans this JVM has made through the cache. */
    static int plansMade() {
        return MADE.get();
    }

    /** Each plan made so far, by key, named by its engine. */
    static Map<Key, String> engines() {
        Map<Key, String> engines = new HashMap<>();
        PLANS.forEach((key, e) -> {
            synchronized (e) {
                if (e.plan != null) {
                    engines.put(key, e.plan.engine());
                }
            }
        });
        return engines;
    }

    /** Closes every plan; tasks still running get {@link IllegalStateException} from a closed plan. */
    static void closeAll() {
        for (Entry e : PLANS.values()) {
            synchronized (e) {
                if (e.plan != null) {
                    e.plan.close();
                }
            }
        }
    }

    /** Holds one key's plan; its lock makes the plan once while other tasks asking for it wait. */
    private static final class Entry {
        private ConvPlan plan;

        synchronized ConvPlan plan(Supplier<ConvPlan> make) {
            if (plan == null) {
                plan = make.get();
                MADE.incrementAndGet();
            }
            return plan;
        }
    }
}
