// Lazily loaded (only the Flows page imports it): world-atlas 110m countries as an ECharts map.
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { FeatureCollection, Geometry } from 'geojson';
import { echarts } from './echarts';
import './flowcharts';

export interface WorldMap {
  /** Map name registered with ECharts. */
  name: string;
  /** Numeric ISO id (3 digits) → the atlas's country name. */
  names: Map<string, string>;
}

let loaded: Promise<WorldMap> | null = null;

type Ring = number[][];

/** Rings that cross ±180° (Russia, Fiji) would be drawn across the whole plane map: move their
 * western points east and clamp at 180°, so the piece beyond the line lies on the map's edge. */
function fixRing(ring: Ring): void {
  let crosses = false;
  for (let i = 1; i < ring.length; i++) if (Math.abs(ring[i]![0]! - ring[i - 1]![0]!) > 180) crosses = true;
  if (!crosses) return;
  for (const pt of ring) {
    if (pt[0]! < 0) pt[0] = pt[0]! + 360;
    if (pt[0]! > 180) pt[0] = 180;
  }
}

function fixAntimeridian(g: Geometry | null): void {
  if (!g) return;
  if (g.type === 'Polygon') g.coordinates.forEach(fixRing);
  else if (g.type === 'MultiPolygon') g.coordinates.forEach((poly) => poly.forEach(fixRing));
}

export function pad3(numeric: string | number): string {
  return String(numeric).padStart(3, '0');
}

export function loadWorldMap(): Promise<WorldMap> {
  if (!loaded) {
    loaded = import('world-atlas/countries-110m.json').then((mod) => {
      const topo = (mod.default ?? mod) as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
      const fc = feature(topo, topo.objects.countries) as FeatureCollection<Geometry, { name: string }>;
      const names = new Map<string, string>();
      // Antarctica takes a fifth of a plane map and holds no data.
      fc.features = fc.features.filter((f) => f.id !== '010');
      for (const f of fc.features) fixAntimeridian(f.geometry);
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
