// The chart types only the Flows page needs, loaded with it (dynamic import) to keep the first
// bundle small.
import { MapChart, SankeyChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';
import { echarts } from './echarts';

echarts.use([MapChart, SankeyChart, VisualMapComponent]);

export const flowChartsReady = true;
