/** How a client's or lab's pages look (configuration `branding`). */
export interface Brand {
  displayName?: string;
  /** https only (the settings schema enforces it); its origin joins the pages' CSP img-src. */
  logoUrl?: string;
  /** #rrggbb; start-up refuses one with less than 4.5:1 contrast on white (WCAG AA for text). */
  accentColour?: string;
}

export interface BrandingSettings {
  clients?: Record<string, Brand>;
  labs?: Record<string, Brand>;
}

/** What a page shows of its brand: the class selecting its accent in /static/brands.css. */
export interface PageBrand extends Brand {
  className?: string;
}

export const BRANDS_CSS_PATH = '/static/brands.css';
const MIN_CONTRAST = 4.5;

/** WCAG 2.x relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

/** Contrast ratio of an accent against white: the page background, and the text on accent buttons. */
export const contrastOnWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

/**
 * The configured brands, checked once: accent colours readable as link and button colours,
 * a stylesheet with one class per brand (so no inline style is needed under the strict CSP),
 * and the logo origins the CSP must allow.
 */
export function createBranding(settings: BrandingSettings = {}) {
  const entries = [
    ...Object.entries(settings.clients ?? {}).map(([id, brand]) => ({ key: `client:${id}`, where: `branding.clients.${id}`, brand })),
    ...Object.entries(settings.labs ?? {}).map(([id, brand]) => ({ key: `lab:${id}`, where: `branding.labs.${id}`, brand })),
  ];
  const byKey = new Map<string, PageBrand>();
  const rules: string[] = [];
  const logoOrigins = new Set<string>();
  entries.forEach(({ key, where, brand }, index) => {
    if (brand.accentColour && contrastOnWhite(brand.accentColour) < MIN_CONTRAST) {
      throw new Error(`${where}.accentColour = ${brand.accentColour}: contrast on white is ${contrastOnWhite(brand.accentColour).toFixed(2)}:1, needs at least ${MIN_CONTRAST}:1 (choose a darker colour)`);
    }
    // Class names are generated, never taken from configuration, so nothing reaches the CSS unchecked.
    const className = brand.accentColour ? `brand-${index}` : undefined;
    if (className) rules.push(`.${className} { --accent: ${brand.accentColour!.toLowerCase()}; }`);
    if (brand.logoUrl) logoOrigins.add(new URL(brand.logoUrl).origin);
    byKey.set(key, { ...brand, ...(className ? { className } : {}) });
  });
  return {
    stylesheet: `${rules.join('\n')}\n`,
    logoOrigins: [...logoOrigins],
    /** A lab's brand outranks its client's: the lab is whose data the person is about to use. */
    brandOf(page: { clientId?: string; labId?: string }): PageBrand | undefined {
      return (page.labId ? byKey.get(`lab:${page.labId}`) : undefined) ?? (page.clientId ? byKey.get(`client:${page.clientId}`) : undefined);
    },
  };
}

export type Branding = ReturnType<typeof createBranding>;
