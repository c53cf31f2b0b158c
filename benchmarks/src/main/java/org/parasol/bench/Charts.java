package org.parasol.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The bench's PNG charts, drawn with JFreeChart: ratio bar charts (one bar per operation and
 * configuration, on a logarithmic axis), latency CDFs from HdrHistogram's percentiles, and
 * lines on logarithmic axes with a second range axis (the density figures). Nothing is drawn by
 * hand; each method builds a chart from its data and writes it with {@link ChartUtils}.
 */
final class Charts {
    /** Series colours, in order: the palette matplotlib's default cycle made familiar. */
    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
        new Color(255, 127, 14), new Color(148, 103, 189), new Color(140, 86, 75)};

    static {
        // No display on a build machine: the charts only ever go to files.
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private Charts() {
    }

    /**
     * A horizontal bar chart: for each category (an operation), one bar per series (a
     * configuration) of its value, on a logarithmic axis that holds every positive value. Values
     * that are not positive and finite are left out.
     *
     * @param values category to series to value, in the order to draw them
     */
    static void ratioBars(String title, String valueLabel, Map<String, Map<String, Double>> values, Path png, int width,
            int height) throws IOException {
        DefaultCategoryDataset ds = new DefaultCategoryDataset();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (var row : values.entrySet()) {
            for (var bar : row.getValue().entrySet()) {
                double v = bar.getValue();
                if (v > 0 && Double.isFinite(v)) {
                    ds.addValue(v, bar.getKey(), row.getKey());
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        JFreeChart chart = ChartFactory.createBarChart(title, null, valueLabel, ds, PlotOrientation.HORIZONTAL, true,
                false, false);
        style(chart);
        CategoryPlot plot = chart.getCategoryPlot();
        LogAxis axis = decadeAxis(valueLabel, 1e-3);
        double[] range = decades(lo, hi);
        axis.setRange(range[0], range[1]);
        plot.setRangeAxis(axis);
        BarRenderer r = (BarRenderer) plot.getRenderer();
        r.setBarPainter(new StandardBarPainter());
        r.setShadowVisible(false);
        r.setItemMargin(0.05);
        // A log axis has no zero: bars grow from the axis' lower end.
        r.setBase(range[0]);
        r.setIncludeBaseInRange(false);
        colour(r);
        CategoryAxis cats = plot.getDomainAxis();
        cats.setCategoryLabelPositions(CategoryLabelPositions.STANDARD);
        cats.setMaximumCategoryLabelLines(2);
        cats.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        write(chart, png, width, height);
    }

    /**
     * Latency CDFs: for each series, the fraction of operations at or below each latency, from
     * the histogram's percentile iteration (five ticks per half distance), on a logarithmic
     * nanosecond axis.
     */
    static void cdf(String title, Map<String, Histogram> histograms, Path png, int width, int height) throws IOException {
        XYSeriesCollection ds = new XYSeriesCollection();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (var e : histograms.entrySet()) {
            Histogram h = e.getValue();
            if (h.getTotalCount() == 0) {
                continue;
            }
            XYSeries s = new XYSeries(e.getKey(), true, true);
            for (HistogramIterationValue v : h.percentiles(5)) {
                double ns = Math.max(1, h.highestEquivalentValue(v.getValueIteratedTo()));
                s.add(ns, v.getPercentileLevelIteratedTo() / 100.0);
                lo = Math.min(lo, ns);
                hi = Math.max(hi, ns);
            }
            ds.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, "ns per operation (log)", "fraction of operations", ds,
                PlotOrientation.VERTICAL, true, false, false);
        style(chart);
        XYPlot plot = chart.getXYPlot();
        LogAxis x = decadeAxis("ns per operation (log)", 1);
        double[] range = decades(lo, hi);
        x.setRange(range[0], range[1]);
        plot.setDomainAxis(x);
        NumberAxis y = (NumberAxis) plot.getRangeAxis();
        y.setRange(0, 1.0);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        colour(r, ds.getSeriesCount());
        plot.setRenderer(r);
        write(chart, png, width, height);
    }

    /** One series of {@link #logLines}: its points, and the axis (left or right) it is read on. */
    record Line(String name, boolean rightAxis, List<double[]> points) {
    }

    /**
     * Lines with points on logarithmic axes: x, a left range axis and a right one; each line is
     * read on the axis it names. Points that are not positive and finite are left out.
     */
    static void logLines(String title, String xLabel, String leftLabel, String rightLabel, List<Line> lines, Path png,
            int width, int height) throws IOException {
        XYSeriesCollection left = new XYSeriesCollection();
        XYSeriesCollection right = new XYSeriesCollection();
        double[] xs = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        double[] ls = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        double[] rs = {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (Line line : lines) {
            XYSeries s = new XYSeries(line.name() + (line.rightAxis() ? " (right)" : " (left)"), false, true);
            double[] ys = line.rightAxis() ? rs : ls;
            for (double[] p : line.points()) {
                if (p[0] > 0 && p[1] > 0 && Double.isFinite(p[0]) && Double.isFinite(p[1])) {
                    s.add(p[0], p[1]);
                    xs[0] = Math.min(xs[0], p[0]);
                    xs[1] = Math.max(xs[1], p[0]);
                    ys[0] = Math.min(ys[0], p[1]);
                    ys[1] = Math.max(ys[1], p[1]);
                }
            }
            (line.rightAxis() ? right : left).addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, leftLabel, left, PlotOrientation.VERTICAL, true,
                false, false);
        style(chart);
        XYPlot plot = chart.getXYPlot();
        plot.setDomainAxis(logAxis(xLabel, xs));
        plot.setRangeAxis(0, logAxis(leftLabel, ls));
        plot.setRangeAxis(1, logAxis(rightLabel, rs));
        plot.setDataset(1, right);
        plot.mapDatasetToRangeAxis(1, 1);
        XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer(true, true);
        XYLineAndShapeRenderer rr = new XYLineAndShapeRenderer(true, true);
        int i = 0;
        for (int k = 0; k < left.getSeriesCount(); k++) {
            lr.setSeriesPaint(k, PALETTE[i++ % PALETTE.length]);
            lr.setSeriesStroke(k, new BasicStroke(2f));
        }
        for (int k = 0; k < right.getSeriesCount(); k++) {
            rr.setSeriesPaint(k, PALETTE[i++ % PALETTE.length]);
            rr.setSeriesStroke(k, new BasicStroke(2f));
        }
        plot.setRenderer(0, lr);
        plot.setRenderer(1, rr);
        write(chart, png, width, height);
    }

    /**
     * A base-10 log axis with a labelled tick at each decade, written as a plain number
     * ({@code 0.1}, {@code 1}, {@code 1,000}), and nine minor ticks between.
     */
    private static LogAxis decadeAxis(String label, double smallest) {
        LogAxis a = new LogAxis(label);
        a.setBase(10);
        a.setSmallestValue(smallest);
        a.setTickUnit(new NumberTickUnit(1));
        a.setNumberFormatOverride(new DecimalFormat("#,##0.######", DecimalFormatSymbols.getInstance(Locale.ROOT)));
        a.setMinorTickCount(9);
        a.setMinorTickMarksVisible(true);
        return a;
    }

    private static LogAxis logAxis(String label, double[] minMax) {
        LogAxis a = decadeAxis(label, 1e-6);
        double[] range = decades(minMax[0], minMax[1]);
        a.setRange(range[0], range[1]);
        return a;
    }

    /** The whole decades that hold {@code [lo, hi]}, at least one; {@code [1, 10]} for no values. */
    static double[] decades(double lo, double hi) {
        if (!(lo > 0) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
            return new double[] {1, 10};
        }
        double a = Math.pow(10, Math.floor(Math.log10(lo)));
        double b = Math.pow(10, Math.ceil(Math.log10(hi)));
        return new double[] {a, b > a ? b : a * 10};
    }

    private static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        var plot = chart.getPlot();
        plot.setBackgroundPaint(Color.WHITE);
        if (plot instanceof XYPlot xy) {
            xy.setDomainGridlinePaint(new Color(220, 220, 220));
            xy.setRangeGridlinePaint(new Color(220, 220, 220));
        } else if (plot instanceof CategoryPlot cp) {
            cp.setRangeGridlinePaint(new Color(220, 220, 220));
        }
    }

    private static void colour(BarRenderer r) {
        for (int i = 0; i < PALETTE.length; i++) {
            r.setSeriesPaint(i, PALETTE[i]);
        }
    }

    private static void colour(XYLineAndShapeRenderer r, int series) {
        for (int i = 0; i < series; i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesStroke(i, new BasicStroke(2f));
        }
    }

    private static void write(JFreeChart chart, Path png, int width, int height) throws IOException {
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        ChartUtils.saveChartAsPNG(png.toFile(), chart, width, height);
    }
}
