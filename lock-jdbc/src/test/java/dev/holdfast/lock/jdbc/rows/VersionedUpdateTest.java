package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class VersionedUpdateTest {

    @ParameterizedTest
    @EnumSource(Db.class)
    void concurrentEditorsGetOneUpdatedPerVersionAndTheRestStale(Db db) throws Exception {
        String table = Db.unique("vu_doc");
        db.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, title VARCHAR(64), version BIGINT NOT NULL)",
                "INSERT INTO " + table + " VALUES (1, 'draft', 0)");
        try (HikariDataSource ds = db.pool(Db.unique("vu-editors"), 8)) {
            VersionedUpdate docs = VersionedUpdate.builder(ds, table, "id", "version").build();
            Map<Long, AtomicInteger> updatedPerVersion = new ConcurrentHashMap<>();
            AtomicInteger stale = new AtomicInteger();
            List<CompletableFuture<Void>> editors = new ArrayList<>();
            for (int e = 0; e < 8; e++) {
                String editor = "editor-" + e;
                editors.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 100; i++) {
                        long read = readVersion(ds, table);
                        VersionedUpdate.Result r = docs.update(1L, read, Map.of("title", editor + " " + i));
                        if (r.updated()) {
                            assertThat(r.version()).isEqualTo(OptionalLong.of(read + 1));
                            updatedPerVersion.computeIfAbsent(read + 1, v -> new AtomicInteger()).incrementAndGet();
                        } else {
                            assertThat(r.outcome()).isEqualTo(VersionedUpdate.Outcome.STALE);
                            assertThat(r.version().getAsLong()).isGreaterThan(read);
                            stale.incrementAndGet();
                        }
                    }
                }));
            }
            CompletableFuture.allOf(editors.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
            long finalVersion = readVersion(ds, table);
            assertThat(updatedPerVersion.keySet()).hasSize((int) finalVersion);
            assertThat(updatedPerVersion.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(1));
            assertThat(finalVersion + stale.get()).isEqualTo(800);
            System.out.printf("[rows] %s: 8 editors x 100 edits: %d UPDATED (one per version), %d STALE%n", db, finalVersion, stale.get());

            db.exec("DELETE FROM " + table + " WHERE id = 1");
            assertThat(docs.update(1L, finalVersion, Map.of("title", "late")))
                    .isEqualTo(new VersionedUpdate.Result(VersionedUpdate.Outcome.GONE, OptionalLong.empty()));
            assertThatThrownBy(() -> docs.update(1L, 0, Map.of("version", 5))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> docs.update(1L, 0, Map.of("title = 'x', id", 5))).isInstanceOf(IllegalArgumentException.class);
        } finally {
            db.drop(table);
        }
    }

    private static long readVersion(HikariDataSource ds, String table) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT version FROM " + table + " WHERE id = 1");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
