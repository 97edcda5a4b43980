export declare const BANNER: string;
export declare function bundlePlugin(entry: string, outfile: string, options?: { logLevel?: 'silent' | 'error' | 'warning' | 'info' }): Promise<void>;
