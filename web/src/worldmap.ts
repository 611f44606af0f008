// Lazily loaded (only the Flows page imports it): world-atlas 110m countries as an ECharts map.
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { FeatureCollection, Geometry } from 'geojson';
import { echarts } from './echarts';

export interface WorldMap {
  /** Map name registered with ECharts. */
  name: string;
  /** Numeric ISO id (3 digits) → the atlas's country name. */
  names: Map<string, string>;
}

let loaded: Promise<WorldMap> | null = null;

export function pad3(numeric: string | number): string {
  return String(numeric).padStart(3, '0');
}

export function loadWorldMap(): Promise<WorldMap> {
  if (!loaded) {
    loaded = import('world-atlas/countries-110m.json').then((mod) => {
      const topo = (mod.default ?? mod) as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
      const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>;
      const names = new Map<string, string>();
      fc.features.forEach((f, i) => {
        const id = f.id === undefined ? `x${i}` : pad3(f.id);
        names.set(id, f.properties.name);
        // ECharts matches series data to features by `properties.name`: use the numeric id.
        f.properties = { name: id };
      });
      echarts.registerMap('world', fc as unknown as Parameters<typeof echarts.registerMap>[1]);
      return { name: 'world', names };
    });
    loaded.catch(() => {
      loaded = null;
    });
  }
  return loaded;
}
