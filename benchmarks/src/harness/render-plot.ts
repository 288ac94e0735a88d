import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

/**
 * Renders a Vega-Lite v6 spec (inline data) to an SVG document, headlessly: vega-lite compiles
 * it to Vega, and a `vega.View` with renderer 'none' produces the SVG string. No canvas or
 * browser is needed; text widths are estimated, so labels may sit a few pixels off.
 *
 * A white background is added unless the spec sets one, so the SVG reads on dark pages too.
 * @throws Error from vega-lite or vega for an invalid spec (the caller reports it per plot).
 */
export async function renderVegaLiteToSvg(spec: Record<string, unknown>): Promise<string> {
  const withBackground = 'background' in spec ? spec : { ...spec, background: 'white' };
  const compiled = vegaLite.compile(withBackground as unknown as vegaLite.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
