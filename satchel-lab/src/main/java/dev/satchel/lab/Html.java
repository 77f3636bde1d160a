package dev.satchel.lab;

import java.util.List;

/**
 * Escaping for the HTML page and its SVG. Every string from the results is untrusted: anomaly
 * details carry text from server responses, and a report must never run what a server sent.
 */
final class Html {
    private Html() {}

    /** Text safe in element content and in quoted attribute values, HTML and SVG alike. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> {
                    // Control characters are not allowed in HTML or XML text: show that one was there.
                    boolean control = c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f;
                    out.append(control ? '\uFFFD' : c);
                }
            }
        }
        return out.toString();
    }

    /** A table row of escaped cells; {@code tag} is {@code td} or {@code th}. */
    static String row(String tag, List<String> cells) {
        StringBuilder out = new StringBuilder("<tr>");
        for (String c : cells) {
            out.append('<')
                    .append(tag)
                    .append('>')
                    .append(escape(c))
                    .append("</")
                    .append(tag)
                    .append('>');
        }
        return out.append("</tr>\n").toString();
    }

    /** A whole table: a header row and escaped cells. */
    static String table(List<String> headers, List<List<String>> rows) {
        StringBuilder out = new StringBuilder("<div class=\"scroll\"><table>\n<thead>");
        out.append(row("th", headers)).append("</thead>\n<tbody>\n");
        rows.forEach(r -> out.append(row("td", r)));
        return out.append("</tbody></table></div>\n").toString();
    }
}
