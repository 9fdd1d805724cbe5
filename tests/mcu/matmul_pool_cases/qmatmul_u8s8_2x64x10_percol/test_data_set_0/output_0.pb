
ByJyrzwulhhxr‚{x{o•—x\