package dev.satchel.bench;

import java.util.List;

/** A horizontal bar chart as SVG, the one shape every report of this module draws. */
public final class BarChart {
    private static final int ROW_HEIGHT = 24;
    private static final int NOTE_HEIGHT = 18;

    private BarChart() {}

    /** One bar: its label, its length, the text after it, and whether it is Satchel's (green). */
    public record Bar(String label, double value, String text, boolean satchel) {}

    public static String svg(String title, List<Bar> bars, int width, int labelWidth) {
        return svg(title, bars, width, labelWidth, List.of());
    }

    /** The chart with lines of text under the bars: the ratios and their ranges, the machine's state. */
    public static String svg(String title, List<Bar> bars, int width, int labelWidth, List<String> notes) {
        double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
        StringBuilder svg = new StringBuilder(String.format(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\""
                        + " font-size=\"13\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n"
                        + "<text x=\"10\" y=\"20\" font-weight=\"bold\">%s</text>%n",
                width, 44 + ROW_HEIGHT * bars.size() + NOTE_HEIGHT * notes.size(), escape(title)));
        // Room after the longest bar for its text, about 7 px a character at this size.
        int textRoom = Math.max(
                170, 7 * bars.stream().mapToInt(b -> b.text().length()).max().orElse(0));
        int y = 36;
        for (Bar b : bars) {
            int length = (int) (Math.max(0, width - labelWidth - textRoom) * b.value() / max);
            svg.append(String.format(
                    "<text x=\"10\" y=\"%d\">%s</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"16\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    y + 13,
                    escape(b.label()),
                    labelWidth,
                    y,
                    length,
                    b.satchel() ? "#2b7a4b" : "#8a8f98",
                    labelWidth + length + 6,
                    y + 13,
                    escape(b.text())));
            y += ROW_HEIGHT;
        }
        for (String note : notes) {
            y += NOTE_HEIGHT;
            svg.append(String.format("<text x=\"10\" y=\"%d\" font-size=\"12\">%s</text>%n", y, escape(note)));
        }
        return svg.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
