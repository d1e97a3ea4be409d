import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  Tooltip,
} from 'chart.js';
import { formatCost } from './format';
import type { ChartSeries } from './usage-view';

// Only what a stacked bar chart needs, so the rest of Chart.js stays out of the bundle.
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface ChartTheme {
  text: string;
  grid: string;
  colors: string[];
}

function config(data: ChartSeries, theme: ChartTheme): ChartConfiguration<'bar', number[], string> {
  return {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: data.series.map((series, i) => ({
        label: series.name,
        data: series.values,
        backgroundColor: theme.colors[i % theme.colors.length],
        borderWidth: 0,
        maxBarThickness: 36,
      })),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 250 },
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          stacked: true,
          ticks: { color: theme.text, maxRotation: 0, autoSkip: true },
          grid: { display: false },
        },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { color: theme.text, callback: (value) => formatCost(Number(value)) },
          grid: { color: theme.grid },
        },
      },
      plugins: {
        legend: { position: 'bottom', labels: { color: theme.text, boxWidth: 12 } },
        tooltip: {
          callbacks: {
            label: (item) => `${item.dataset.label}: ${formatCost(Number(item.raw))}`,
            footer: (items) => `Total: ${formatCost(items.reduce((sum, item) => sum + Number(item.raw), 0))}`,
          },
        },
      },
    },
  };
}

/** A stacked daily cost chart on a canvas; `update` redraws it with new data or colours. */
export function createCostChart(canvas: HTMLCanvasElement, data: ChartSeries, theme: ChartTheme) {
  const chart = new Chart(canvas, config(data, theme));
  return {
    update(next: ChartSeries, nextTheme: ChartTheme) {
      const { data: nextData, options } = config(next, nextTheme);
      chart.data = nextData;
      if (options) chart.options = options;
      chart.update('none');
    },
    destroy: () => chart.destroy(),
  };
}
