/** Chart.js, registered once for every chart on the Board (the Revenue panel, revenue-analyst reports). */
import {
  ArcElement,
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

let registered = false;
export function registerCharts(): void {
  if (registered) return;
  ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, ArcElement, Tooltip, Legend, Filler);
  ChartJS.defaults.font.family = getComputedStyle(document.body).fontFamily;
  ChartJS.defaults.animation = false;
  registered = true;
}
