package dev.holdfast.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** One Markdown table, with a title and notes under it. */
final class Markdown {

    private final String title;
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    Markdown(String title, String... header) {
        this.title = title;
        this.header = List.of(header);
    }

    Markdown row(Object... cells) {
        List<String> r = new ArrayList<>();
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    Markdown note(String note) {
        notes.add(note);
        return this;
    }

    int rowCount() {
        return rows.size();
    }

    List<List<String>> rows() {
        return rows;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("\n### ").append(title).append("\n\n");
        sb.append("| ").append(String.join(" | ", header)).append(" |\n|");
        for (String h : header) {
            sb.append(h.startsWith("contender") || h.startsWith("provider") ? "---|" : "---:|");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        if (!notes.isEmpty()) {
            sb.append('\n');
            notes.forEach(n -> sb.append(n).append('\n'));
        }
        return sb.toString();
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String ratio(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? "–" : String.format(Locale.ROOT, "%.2f×", v);
    }
}
